/**
 * The corpus script still reproduces: a few of its scenarios rerun against fresh Azurites (the real SDKs,
 * the breaking proxy, Azurite's --debug string-to-sign), and the doctor reaches each expected answer.
 * The full corpus is committed and checked by captures.test.ts; this keeps the script honest.
 */
import { describe, expect, it } from "vitest";
import { explainCapture } from "../../src/doctor/explain.js";
import { sharedKeyDiffFindings } from "../../src/signature/doctor-adapter.js";
import { makeDoctorCorpus } from "../../scripts/make-doctor-corpus.js";

describe("scripts/make-doctor-corpus.ts", () => {
  it("reproduces the captures it commits", async () => {
    const run = await makeDoctorCorpus([
      "blob-sharedkey-xmsdate-stripped",
      "queue-sas-service-missing-permission",
      "table-sharedkeylite-wrong-key",
      "blob-bearer-v1-wrong-audience",
    ]);
    expect(run.files.map((f) => f.name).sort()).toEqual([
      "blob-bearer-v1-wrong-audience.azure",
      "blob-bearer-v1-wrong-audience.azurite",
      "blob-sharedkey-xmsdate-stripped.azure",
      "blob-sharedkey-xmsdate-stripped.azurite",
      "queue-sas-service-missing-permission.azure",
      "queue-sas-service-missing-permission.azurite",
      "table-sharedkeylite-wrong-key.azure",
      "table-sharedkeylite-wrong-key.azurite",
    ]);
    for (const f of run.files) {
      const result = explainCapture(JSON.stringify(f), undefined, { sharedKeyDiff: sharedKeyDiffFindings });
      expect({
        name: f.name,
        id: result.primary?.firstProblem?.id,
        decision: result.primary?.verdict.decision,
      }).toEqual({
        name: f.name,
        id: f.expect.firstProblem,
        decision: f.expect.decision,
      });
    }
  }, 180_000);
});
