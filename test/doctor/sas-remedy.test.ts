import { describe, expect, it } from "vitest";
import { AZURITE_KEY } from "../../src/local/azurite.js";
import { runCli } from "./cli.js";

/** The remedy `explain --format json` gives for one capture of the corpus (test/doctor/captures/). */
async function remedyOf(capture: string, ...extra: string[]) {
  const r = await runCli(
    ["explain", "--request", `test/doctor/captures/${capture}.json`, "--format", "json", ...extra],
    { DOCTOR_CORPUS_ACCOUNT_KEY: AZURITE_KEY },
  );
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout);
  const facts = Object.fromEntries(
    (report.remedy.facts as Array<{ label: string; value: string }>).map((f) => [f.label, f.value]),
  );
  return { report, remedy: report.remedy, facts };
}

describe("SAS remedy through explain: a key proven not current is an input, not an override", () => {
  it("a blob account SAS signed with another key: replace it with a user delegation SAS on the container", async () => {
    const { report, remedy, facts } = await remedyOf("blob-sas-account-wrong-key.azure");
    expect(report.firstProblem.id).toBe("sas-wrong-key");
    expect(remedy.kind).toBe("replace-sas");
    expect(facts["Signing key"]).toMatch(/^not the account's current key \(proven: Storage's string-to-sign/);
    expect(facts["Needed by the failing operations"]).toBe("r for GetBlob");
    expect(remedy.change).toMatch(/signed with a key that is not the account's current key/);
    expect(remedy.commands).toHaveLength(1);
    expect(remedy.commands[0].command).toContain(
      "az storage container generate-sas --name reports --account-name devstoreaccount1 --permissions r ",
    );
    expect(remedy.commands[0].command).toContain("--as-user --auth-mode login");
    expect(remedy.wrongIf.join("\n")).toMatch(/Regenerating the account keys/);
  });

  it("a queue SAS signed with another key (checked with --key-env): no az command, the reason says why", async () => {
    const { report, remedy, facts } = await remedyOf(
      "queue-sas-service-wrong-key.azure",
      "--key-env",
      "DOCTOR_CORPUS_ACCOUNT_KEY",
    );
    expect(report.firstProblem.id).toBe("sas-wrong-key");
    expect(remedy.kind).toBe("replace-sas");
    expect(facts["Signing key"]).toMatch(/^not the account's current key/);
    expect(facts["Needed by the failing operations"]).toBe("a for PutMessage");
    expect(remedy.commands).toEqual([]);
    expect(remedy.noCommand).toMatch(/blobs only.*re-mint it with the current key/);
  });

  it("an expired SAS: replaced because it expired, with no claim about its key", async () => {
    const { report, remedy, facts } = await remedyOf("blob-sas-service-expired.azure");
    expect(report.firstProblem.id).toBe("sas-expired");
    expect(remedy.kind).toBe("replace-sas");
    expect(remedy.change).toMatch(/^The SAS expired at 2026-12-03 19:08:17 UTC/);
    expect(facts["Expiry (se)"]).toBe("2026-12-03T19:08:17Z: 60 min before the last failure");
    expect(facts["Signing key"]).toBeUndefined();
    expect(remedy.commands[0].command).toContain(
      "az storage blob generate-sas --account-name devstoreaccount1 --container-name reports --name q3.csv --permissions r ",
    );
  });

  it("an expired account SAS on a queue: the letters its operation needs, no command outside blob", async () => {
    const { report, remedy, facts } = await remedyOf("queue-sas-account-expired.azure");
    expect(report.firstProblem.id).toBe("sas-expired");
    expect(remedy.kind).toBe("replace-sas");
    expect(facts["Needed by the failing operations"]).toBe("p for GetMessages");
    expect(facts["Signing key"]).toBeUndefined();
    expect(remedy.commands).toEqual([]);
    expect(remedy.noCommand).toMatch(/blobs only/);
  });
});
