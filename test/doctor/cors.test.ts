import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { createRootCauseExplainer } from "../../src/correlate/index.js";
import { corsFindings, corsPreflightOf } from "../../src/doctor/cors.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { remedyForDoctorReport } from "../../src/remedy/from-doctor.js";
import { analyze } from "../../src/engine/analyze.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { diagnosticsOf } from "../infra/bicep-cli.js";

/**
 * A browser's CORS preflight refused by Storage: said to be the service's CORS rules, never a credential,
 * with a rule for exactly what the browser asked as the fix; from a HAR as browsers save it, and from
 * logs, where the origin is unknown.
 */

const sasUrl =
  "https://stcontoso01.blob.core.windows.net/uploads/photo.jpg?sv=2023-11-03&se=2026-12-05T12%3A00%3A00Z&sr=b&sp=cw&sig=c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmE%3D";
const preflightHeaders = [
  { name: "Origin", value: "https://app.contoso.com" },
  { name: "Access-Control-Request-Method", value: "put" },
  { name: "Access-Control-Request-Headers", value: "Content-Type, x-ms-blob-type,x-ms-version" },
];
const corsError =
  '<?xml version="1.0" encoding="utf-8"?><Error><Code>CorsPreflightFailure</Code><Message>CORS not enabled or no matching rule found for this request.\nRequestId:9c1b\nTime:2026-12-05T11:00:00.1234567Z</Message><MessageDetails>No CORS rules matches this request</MessageDetails></Error>';

/** A HAR as Chrome saves it: the refused preflight, and the PUT the browser then blocked (status 0). */
function har(): string {
  const entry = (method: string, headers: typeof preflightHeaders, status: number, body?: string) => ({
    request: { method, url: sasUrl, httpVersion: "HTTP/1.1", headers, queryString: [], cookies: [] },
    response: {
      status,
      statusText: status === 403 ? "CORS not enabled or no matching rule found for this request." : "",
      headers:
        status === 403
          ? [
              { name: "x-ms-error-code", value: "CorsPreflightFailure" },
              { name: "x-ms-request-id", value: "9c1b" },
              { name: "Date", value: "Sat, 05 Dec 2026 11:00:00 GMT" },
            ]
          : [],
      content: { size: body?.length ?? 0, mimeType: "application/xml", ...(body ? { text: body } : {}) },
    },
  });
  return JSON.stringify({
    log: {
      version: "1.2",
      creator: { name: "WebInspector", version: "537.36" },
      entries: [
        entry("OPTIONS", preflightHeaders, 403, corsError),
        entry("PUT", [{ name: "Origin", value: "https://app.contoso.com" }], 0),
      ],
    },
  });
}

describe("CORS preflights", () => {
  it("are told by OPTIONS with an Origin and the method asked for", () => {
    expect(corsPreflightOf("OPTIONS", preflightHeaders)).toEqual({
      origin: "https://app.contoso.com",
      method: "PUT",
      headers: ["content-type", "x-ms-blob-type", "x-ms-version"],
    });
    expect(corsPreflightOf("OPTIONS", preflightHeaders.slice(0, 1))).toBeUndefined();
    expect(corsPreflightOf("PUT", preflightHeaders)).toBeUndefined();
    const preflight = corsPreflightOf("OPTIONS", preflightHeaders);
    // Refused (with Storage's code or none); another code, such as the firewall's, is not a CORS matter.
    expect(
      corsFindings(preflight, { status: 403, headers: [] }, "CorsPreflightFailure", "blob"),
    ).toHaveLength(1);
    expect(corsFindings(preflight, { status: 403, headers: [] }, undefined, "blob")).toHaveLength(1);
    expect(corsFindings(preflight, { status: 403, headers: [] }, "AuthorizationFailure", "blob")).toEqual([]);
    expect(corsFindings(preflight, { status: 200, headers: [] }, undefined, "blob")).toEqual([]);
  });

  it("in a browser's HAR, get the CORS verdict and a rule for exactly what was asked", () => {
    const result = explainCapture(har(), undefined, {});
    expect(result.requests[1]).toMatchObject({ skipped: expect.stringContaining("status 0") });
    const report = result.primary!;
    const remedy = remedyForDoctorReport(report);
    expect(report.firstProblem?.id).toBe("cors-preflight-refused");
    expect(report.verdict.decision).toBe("policy");
    expect(report.verdict.avoid.join(" ")).toContain("a preflight carries no credential");
    expect(remedy?.kind).toBe("add-cors-rule");
    expect(remedy?.commands.map((c) => c.command)).toEqual([
      "az storage cors list --services b --account-name stcontoso01",
      "az storage cors add --services b --origins https://app.contoso.com --methods PUT --allowed-headers content-type x-ms-blob-type x-ms-version --exposed-headers x-ms-request-id x-ms-error-code etag --max-age 3600 --account-name stcontoso01",
    ]);
    expect(remedy?.facts).toContainEqual({ label: "Origin", value: "https://app.contoso.com" });
    expect(JSON.stringify(result)).not.toContain("c2lnbmF0dXJl");
  });

  it("from logs, are a policy incident whose rule leaves the origin to fill in", async () => {
    const t0 = Date.parse("2026-12-05T10:00:00Z");
    const requests: StorageRequest[] = Array.from({ length: 6 }, (_, k) => ({
      timeMs: t0 + k * 60_000,
      account: "stcontoso01",
      service: "blob",
      operation: "PreflightBlobRequest",
      statusCode: 403,
      statusText: "CorsPreflightFailure",
      authType: "Anonymous",
      callerIp: "20.1.2.3",
    }));
    const clock = fixedClock("2026-12-05T12:00:00Z");
    const r = await analyze({
      requests,
      activity: [],
      clock,
      explainer: createRootCauseExplainer({ clock }),
      rejections: { count: 0, samples: [], reject() {} },
    });
    const incident = r.incidents[0]!;
    expect(incident.decision).toBe("policy");
    expect(incident.remedy?.kind).toBe("add-cors-rule");
    expect(incident.remedy?.commands[1]?.command).toContain("--origins <page-origin> --methods <method>");
    expect(incident.remedy?.commands[1]?.placeholders.map((p) => p.name)).toEqual(["page-origin", "method"]);
  });

  it("give a Bicep rule the Bicep CLI builds", async () => {
    const remedy = remedyForDoctorReport(explainCapture(har(), undefined, {}).primary!);
    const dir = await mkdtemp(join(tmpdir(), "cors-bicep-"));
    try {
      const file = join(dir, "cors.bicep");
      await writeFile(file, remedy!.bicep! + "\n");
      const errors = (await diagnosticsOf("build", file, dir)).filter((d) => d.level === "error");
      expect(errors).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
