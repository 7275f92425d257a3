import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRequestCapture, parseResponseCapture, storageErrorOf } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";

/**
 * AzCopy's `--output-type json` for an upload with a container SAS that expired an hour ago, against
 * Azurite, as AzCopy 10.32.2 and 10.14.1 print it (`npm run corpus:azcopy-json` made these).
 */
const capture = (name: string) =>
  readFileSync(join("test", "doctor", "captures", "azcopy-json", name), "utf8");
const TODAY = capture("azcopy-10.32-blob-sas-expired.txt");
const OLDER = capture("azcopy-10.14-blob-sas-expired.txt");

describe("AzCopy's JSON output", () => {
  it("10.14: the Go Storage SDK's error text inside it, with the SAS fields: the SAS expired", () => {
    const exchange = parseRequestCapture(OLDER, "azcopy.json");
    expect(exchange.request.method).toBe("PUT");
    expect(exchange.request.url).toMatch(
      /\/devstoreaccount1\/reports\/2026\/q4\.csv\?se=.*&sig=-REDACTED-&sp=rl&/,
    );
    const report = explainCapture(OLDER, undefined, {}).primary!;
    expect([report.verdict.decision, report.firstProblem?.id]).toEqual(["sas", "sas-expired"]);
  });

  it("10.32: the query left out; the emulator refused a credential it does not show, not a firewall", () => {
    const exchange = parseRequestCapture(TODAY, "azcopy.json");
    expect(exchange.queryNotShown).toBe(true);
    expect(exchange.response?.status).toBe(403);
    const report = explainCapture(TODAY, undefined, {}).primary!;
    expect([report.verdict.decision, report.firstProblem?.id]).toEqual([
      "authentication",
      "emulator-credential-refused",
    ]);
  });

  it("serves as the response, and a paste without any SDK error text says so", () => {
    expect(storageErrorOf(parseResponseCapture(TODAY, "azcopy.json")).code).toBe("AuthorizationFailure");
    const info = TODAY.split("\n").filter(
      (l) => l.includes('"MessageType":"Info"') && !l.includes("RESPONSE"),
    );
    expect(() => parseRequestCapture(info.join("\n"), "azcopy.json")).toThrow(
      /azcopy\.json: AzCopy's JSON output holds no refused call/,
    );
  });
});
