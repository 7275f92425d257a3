/**
 * The doctor on the corpus of real captures (test/doctor/captures/, made by scripts/make-doctor-corpus.ts
 * from the real SDKs, a breaking proxy and Azurite): every capture gets its expected verdict and first
 * cause from `auth-triage explain`, and the dashboard's engine gives the same answer on the same text.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnosePaste } from "../../src/dashboard/diagnose-engine.js";
import { AZURITE_KEY } from "../../src/local/azurite.js";
import { CHANGED_AFTER_SIGNING, type CauseId } from "../../src/signature/diff.js";
import { runCli } from "./cli.js";

const DIR = join("test", "doctor", "captures");
const KEY_ENV = "DOCTOR_CORPUS_ACCOUNT_KEY";

interface Capture {
  name: string;
  story: string;
  scheme: string;
  options?: { keyEnv?: string; service?: "blob" | "queue" | "table" | "file"; account?: string };
  expect: { decision: string; firstProblem: string; scheme: string };
  secrets: string[];
}

const captures = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({ path: join(DIR, f), capture: JSON.parse(readFileSync(join(DIR, f), "utf8")) as Capture }));

function argsFor(path: string, c: Capture): string[] {
  const args = ["explain", "--request", path];
  if (c.options?.keyEnv) args.push("--key-env", c.options.keyEnv);
  if (c.options?.service) args.push("--service", c.options.service);
  if (c.options?.account) args.push("--account", c.options.account);
  return args;
}

describe("the corpus of real captures", () => {
  it("covers blob, queue and table with every scheme and SAS kind", () => {
    const cells = new Set(captures.map(({ capture: c }) => `${c.name.split("-")[0]} ${c.scheme}`));
    for (const svc of ["blob", "queue", "table"])
      for (const scheme of ["SharedKey", "SharedKeyLite", "SAS", "Bearer"])
        expect(cells).toContain(`${svc} ${scheme}`);
    const kinds = new Set(
      captures.map(({ capture: c }) => (c as { sasKind?: string }).sasKind).filter(Boolean),
    );
    expect([...kinds].sort()).toEqual(["account", "service", "user-delegation"]);
  });

  it.each(captures.map((c) => [c.capture.name, c] as const))("%s", async (_name, { path, capture: c }) => {
    const env = { [KEY_ENV]: AZURITE_KEY };
    const json = await runCli([...argsFor(path, c), "--format", "json"], env);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect({
      firstProblem: report.firstProblem?.id,
      decision: report.verdict.decision,
      scheme: report.scheme,
    }).toEqual({
      firstProblem: c.expect.firstProblem,
      decision: c.expect.decision,
      scheme: c.expect.scheme,
    });
    const text = await runCli(argsFor(path, c), env);
    expect(text.stdout).toContain(`Verdict: ${c.expect.decision}.`);
    expect(text.stdout).toContain("Decided by: ");
    // Azurite's AuthorizationFailure would read as a firewall rejection: the evidence must say it overruled it.
    if (report.response?.errorCode === "AuthorizationFailure" && c.expect.decision !== "network")
      expect(text.stdout).toContain(
        "Code overruled: The response's code AuthorizationFailure alone would mean network, but ",
      );
    if (c.name.endsWith(".azurite")) expect(report.emulator?.reason).toBeTruthy();
    // One capture reads no activity log: no remedy of it may claim the key is current.
    if (report.remedy) {
      expect(report.remedy.change).not.toMatch(/key is current/i);
      expect(report.remedy.wrongIf.join(" ")).not.toMatch(/is the current one/);
    }
    const commands = (report.remedy?.commands ?? []).map((x: { command: string }) => x.command).join("\n");
    // Proven changed after signing: the fix is where it changed, checked by the same capture again.
    const cause = c.expect.firstProblem.replace(/^signature-/, "");
    if (CHANGED_AFTER_SIGNING.has(cause as CauseId)) {
      expect(report.remedy?.kind).toBe("fix-signature");
      expect(report.remedy.change).toContain(report.firstProblem.detail);
      expect(commands).toBe("auth-triage explain --request <capture-after-the-fix>");
    }
    // The emulator's refusal without its string-to-sign: its debug log is where the string is.
    if (c.name.endsWith(".azurite") && c.expect.firstProblem === "sharedkey-signature-rejected")
      expect(commands).toContain("azurite --debug <azurite-debug.log>");
    for (const secret of c.secrets) {
      expect(json.stdout).not.toContain(secret);
      expect(text.stdout).not.toContain(secret);
    }
    // One engine: the dashboard's page gives the same answer on the same capture.
    const pasted = diagnosePaste({
      request: readFileSync(path, "utf8"),
      ...(c.options?.service ? { service: c.options.service } : {}),
    });
    if (!pasted.ok) throw new Error(pasted.error);
    expect({ id: pasted.report.firstProblem?.id, decision: pasted.report.verdict.decision }).toEqual({
      id: report.firstProblem?.id,
      decision: report.verdict.decision,
    });
  });
});
