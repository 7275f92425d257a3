import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  diagnoseCaptureFile,
  diagnosePaste,
  type CaptureFileInput,
  type PasteDiagnosis,
  type PastedInput,
} from "../../src/dashboard/diagnose-engine.js";
import { buildCorpus } from "../doctor/corpus.js";
import { azureErrorBody, ECHOED_MAC, serverStringToSign, STORIES } from "../signature/stories.js";

/**
 * The diagnose page's engine, run on the doctor's whole capture corpus twice: from the TypeScript source
 * and from the browser bundle the build writes (dist/src/dashboard/assets/diagnose-engine.js), which is
 * pure ES and so loads in Node too. Both must reach the corpus's expected verdicts and never carry a secret.
 */

type Engine = {
  diagnosePaste: (input: PastedInput) => PasteDiagnosis;
  diagnoseCaptureFile: (input: CaptureFileInput) => Promise<PasteDiagnosis>;
};

const corpus = buildCorpus();
let bundled: Engine;

beforeAll(async () => {
  execFileSync(process.execPath, ["scripts/bundle-diagnose-engine.mjs"], { stdio: "pipe" });
  bundled = (await import(
    pathToFileURL(join(process.cwd(), "dist/src/dashboard/assets/diagnose-engine.js")).href
  )) as Engine;
}, 120_000);

const rawHttp = (r: { method: string; url: string; headers: { name: string; value: string }[] }) =>
  [`${r.method} ${r.url} HTTP/1.1`, ...r.headers.map((h) => `${h.name}: ${h.value}`)].join("\n");

describe.each([
  ["source", () => ({ diagnosePaste, diagnoseCaptureFile }) as Engine],
  ["browser bundle", () => bundled],
])("diagnose engine (%s)", (_label, engine) => {
  it("reads a capture file: a text one as if pasted, a damaged zip as an error naming it, never a throw", async () => {
    const c = corpus[0]!;
    const bytes = new TextEncoder().encode(c.request);
    const asFile = await engine().diagnoseCaptureFile({ name: "x.txt", bytes, response: c.response });
    expect(asFile).toEqual(engine().diagnosePaste({ request: c.request, response: c.response }));
    const cut = await engine().diagnoseCaptureFile({
      name: "cut.saz",
      bytes: new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0, 8, 0]),
    });
    expect(cut).toEqual({
      ok: false,
      error: "cut.saz: the zip archive is damaged (no end of central directory: was it cut short?)",
    });
  });

  it.each(corpus.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const result = engine().diagnosePaste({ request: c.request, response: c.response, clientIp: c.clientIp });
    if (!result.ok) throw new Error(result.error);
    expect(result.report.scheme).toBe(c.expect.scheme);
    expect(result.report.firstProblem?.id).toBe(c.expect.firstProblem);
    expect(result.report.verdict.decision).toBe(c.expect.decision);
    const everything = JSON.stringify(result);
    for (const secret of c.secrets) expect(everything).not.toContain(secret);
  });

  it("builds the aligned Shared Key table when the server's string-to-sign is pasted", () => {
    const story = STORIES.find((s) => s.id === "telemetry-header-added")!;
    const result = engine().diagnosePaste({
      request: rawHttp(story.signed),
      response: azureErrorBody(serverStringToSign(story), story.errorTime),
    });
    if (!result.ok) throw new Error(result.error);
    expect(result.report.firstProblem?.id).toBe("signature-telemetry-header-added");
    expect(result.signature?.causes[0]?.id).toBe("telemetry-header-added");
    expect(result.signature?.rows.filter((r) => r.status !== "same").map((r) => r.name)).toEqual(
      expect.arrayContaining(["x-ms-request-root-id", "x-ms-request-id"]),
    );
    expect(JSON.stringify(result)).not.toContain(ECHOED_MAC);
  });

  it("answers a bad paste with an error naming the field, never a throw", () => {
    expect(engine().diagnosePaste({ request: "" })).toEqual({
      ok: false,
      error: "request: paste the failed request first",
    });
    const badIp = engine().diagnosePaste({ request: corpus[0]!.request, clientIp: "10.0.0" });
    expect(badIp.ok).toBe(false);
    expect(!badIp.ok && badIp.error).toContain("client IP");
    const notHttp = engine().diagnosePaste({ request: "this is not a request" });
    expect(notHttp.ok).toBe(false);
    expect(!notHttp.ok && notHttp.error).toMatch(/^request/);
  });
});

/** The corpus of real captures (test/doctor/captures): the page's engine, source and bundle, gives each expected answer. */
const realCaptures = readdirSync(join("test", "doctor", "captures"))
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => join("test", "doctor", "captures", f));

describe.each([
  ["source", () => ({ diagnosePaste }) as Engine],
  ["browser bundle", () => bundled],
])("diagnose engine on the real captures (%s)", (_label, engine) => {
  it.each(realCaptures)("%s", (path) => {
    const text = readFileSync(path, "utf8");
    const c = JSON.parse(text) as {
      expect: { firstProblem: string; decision: string };
      options?: { service?: "blob" | "queue" | "table" | "file" };
      secrets: string[];
    };
    const result = engine().diagnosePaste({
      request: text,
      ...(c.options?.service ? { service: c.options.service } : {}),
    });
    if (!result.ok) throw new Error(result.error);
    expect({ id: result.report.firstProblem?.id, decision: result.report.verdict.decision }).toEqual({
      id: c.expect.firstProblem,
      decision: c.expect.decision,
    });
    const everything = JSON.stringify(result);
    for (const secret of c.secrets) expect(everything).not.toContain(secret);
  });

  it("answers each request of a HAR on its own", () => {
    const result = engine().diagnosePaste({
      request: readFileSync(join("test", "doctor", "captures", "several-requests.har"), "utf8"),
    });
    if (!result.ok) throw new Error(result.error);
    expect(result.requests.map((r) => ("report" in r ? r.report.firstProblem?.id : "skipped"))).toEqual([
      "skipped",
      "skipped",
      "sharedkey-signature-rejected",
      "sas-permission-mismatch",
    ]);
    expect(result.text).toContain("The capture holds 4 requests; 2 diagnosed.");
  });
});
