import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { analyze, type AnalysisResult } from "../../src/engine/analyze.js";
import type { RejectedRecord } from "../../src/engine/contracts.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import {
  escapeMarkdown,
  renderJson,
  renderMarkdown,
  renderReport,
  renderText,
} from "../../src/report/index.js";
import { generateAll } from "../sim/scenarios.js";

const clock = fixedClock("2026-11-20T12:00:00Z");
const T0 = Date.parse("2026-11-20T09:00:00Z");

/** A hostile row: a real SAS signature, a token and markdown/terminal injection in log-derived fields. */
function hostileRows(): StorageRequest[] {
  return Array.from({ length: 3 }, (_, i) => ({
    timeMs: T0 + i * 1000,
    account: "stevil",
    service: "blob" as const,
    operation: "GetBlob",
    statusCode: 403,
    statusText: "AuthenticationFailed",
    authType: "SAS",
    authHash: "key1(" + "B".repeat(64) + "),SasSignature(" + "C".repeat(64) + ")",
    callerIp: "203.0.113.9",
    userAgent:
      "evil [click](https://phish.example/x) \u001b[31mred\u001b[0m\nInjected line Bearer eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl",
    operationVersion: "2025-01-05",
    uri: `https://stevil.blob.core.windows.net:443/c/<img src=x onerror=alert(1)>.txt?sv=2022-11-02&se=2026-11-21T00%3A00%3A00Z&sp=r&sig=RealSecretSig%2Babc%3D${i}`,
    objectKey: "/stevil/c/**bold** `code` <b>x</b>",
  }));
}

async function hostileResult(): Promise<AnalysisResult> {
  const rejected: RejectedRecord = {
    file: "in.json",
    line: 7,
    field: "uri",
    reason: "bad value https://x/y?sig=AlsoSecret",
  };
  return analyze({
    requests: hostileRows(),
    activity: [],
    clock,
    rejections: { count: 1, samples: [rejected], reject() {} },
  });
}

describe("reports", () => {
  it("never print a SAS signature or token in any format", async () => {
    const result = await hostileResult();
    for (const format of ["text", "markdown", "json"] as const) {
      const out = renderReport(result, format);
      expect(out).not.toMatch(/RealSecretSig|AlsoSecret|c2lnbmF0dXJl/);
      expect(out).toMatch(/REDACTED/);
    }
  });

  it("text: control characters cannot forge lines or colour the terminal", async () => {
    const out = renderText(await hostileResult());
    expect(out).not.toContain("\u001b");
    expect(out.split("\n").some((l) => l.startsWith("Injected line"))).toBe(false);
    expect(out).toContain("\\u001b[31mred");
  });

  it("markdown: log-derived strings cannot inject links, images, HTML or emphasis", async () => {
    const out = renderMarkdown(await hostileResult());
    expect(out).not.toContain("](https://phish");
    expect(out).not.toMatch(/<img|<b>/);
    expect(out).not.toContain("**bold**");
    expect(out).not.toMatch(/[^\\]`code/);
    expect(out).not.toMatch(/https:\/\/phish/);
    expect(escapeMarkdown("[a](http://b) *c* <d> www.e.com")).toBe(
      "\\[a\\]\\(http\\:\\/\\/b\\) \\*c\\* \\<d\\> www\\.e\\.com",
    );
  });

  it("markdown escaping: no input leaves an unescaped link, HTML, code or emphasis opener", () => {
    const specials = fc.constantFrom(..."[]()<>`*_~!#|:/\\www.https://".split(""), "\n", "\u001b");
    fc.assert(
      fc.property(fc.array(fc.oneof(specials, fc.string()), { maxLength: 40 }), (parts) => {
        const out = escapeMarkdown(parts.join(""));
        // Every markdown-significant character is preceded by a backslash that is itself not escaped.
        const unescaped = /(^|[^\\])(\\\\)*[[\]()<>`*_~!#|]/;
        expect(out).not.toMatch(unescaped);
        // eslint-disable-next-line no-control-regex
        expect(out).not.toMatch(/[\u0000-\u001f]/);
        expect(out).not.toContain("://");
      }),
      { numRuns: 300 },
    );
  });

  it("json: exactly one object with the issue's field names", async () => {
    const data = generateAll({ seed: 1 });
    const result = await analyze({
      requests: data.requests,
      activity: data.activity,
      clock,
      rejections: { count: 0, samples: [], reject() {} },
    });
    const out = renderJson(result);
    const parsed = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(expect.arrayContaining(["window", "input", "incidents"]));
    expect(Object.keys(parsed["window"] as object)).toEqual(["from", "to"]);
    expect(parsed["input"]).toMatchObject({
      rows: data.truth.rows,
      failures: data.truth.failures,
      rejected: 0,
      rejectedSamples: [],
    });
    const incidents = parsed["incidents"] as Array<Record<string, unknown>>;
    expect(incidents.length).toBe(data.truth.incidents.length);
    for (const i of incidents) {
      for (const k of [
        "id",
        "account",
        "services",
        "statusCode",
        "errorCode",
        "authType",
        "operations",
        "count",
        "firstSeen",
        "lastSeen",
        "decision",
        "guidance",
        "clusters",
        "callers",
        "changes",
        "clockSkew",
      ]) {
        expect(i).toHaveProperty(k);
      }
      expect(Object.keys(i["guidance"] as object).sort()).toEqual(["avoid", "steps", "summary"]);
      expect(["authentication", "rbac", "sas", "network", "policy"]).toContain(i["decision"]);
      expect(new Date(i["firstSeen"] as string).toISOString()).toBe(i["firstSeen"]);
    }
  });

  it("text: says the verdict, counts, operations, callers, steps and the wrong fix to avoid", async () => {
    const data = generateAll({ seed: 1 });
    const result = await analyze({
      requests: data.requests,
      activity: [],
      clock,
      rejections: { count: 0, samples: [], reject() {} },
    });
    const out = renderText(result);
    const first = result.incidents[0]!;
    expect(out).toContain(
      `Incident 1 of ${result.incidents.length}: ${first.errorCode} (${first.statusCode}) on ${first.account}`,
    );
    expect(out).toContain("Verdict:   POLICY");
    expect(out).toContain(`Failures:  ${first.count} from`);
    expect(out).toContain("Wrong fix to avoid:");
    expect(out).toContain(first.guidance.avoid[0]!);
    expect(out).toContain(first.callers[0]!.ip!);
    expect(out.match(/^Incident \d+ of/gm)!.length).toBe(result.incidents.length);
  });

  it("a caller count past the top-callers table's 20 reads 'at least', in every format", async () => {
    // Two callers fail often; 40 more fail once each: the table's later arrivals inherit the slots (and
    // counts) of the callers it lets go, so their counts are upper bounds.
    const rows: StorageRequest[] = [];
    const row = (i: number, ip: string): StorageRequest => ({
      ...hostileRows()[0]!,
      timeMs: T0 + i * 1000,
      callerIp: ip,
      userAgent: "azsdk-js-storage-blob/12.17.0",
      uri: "https://stevil.blob.core.windows.net:443/c/a.txt",
    });
    for (let i = 0; i < 30; i++) rows.push(row(i, "10.0.0.1"), row(i, "10.0.0.2"));
    for (let i = 0; i < 40; i++) rows.push(row(100 + i, `10.1.0.${i}`));
    const result = await analyze({
      requests: rows,
      activity: [],
      clock,
      rejections: { count: 0, samples: [], reject() {} },
    });
    const callers = result.incidents[0]!.callers;
    expect(callers.slice(0, 2).map((c) => [c.ip, c.count, c.overcount])).toEqual([
      ["10.0.0.1", 30, undefined],
      ["10.0.0.2", 30, undefined],
    ]);
    const bounded = callers.filter((c) => c.overcount !== undefined);
    expect(bounded.length).toBeGreaterThan(0);
    for (const c of bounded) expect(c.count - c.overcount!).toBe(1);
    const text = renderText(result);
    expect(text).toMatch(/^at least 1 {2}10\.1\.0\.\d+/m);
    // One column: the exact counts right-aligned with the bounds.
    expect(text).toMatch(/^ {8}30 {2}10\.0\.0\.1 /m);
    // Markdown escapes the dots of the address.
    expect(renderMarkdown(result)).toMatch(/^- at least 1 × 10\\\.1\\\.0\\\.\d+/m);
    const json = JSON.parse(renderJson(result)) as AnalysisResult;
    expect(json.incidents[0]!.callers).toEqual(callers);
  });
});
