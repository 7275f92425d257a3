/** The signature diff inside the request doctor, through the doctor's own `sharedKeyDiff` hook. */
import { describe, expect, it } from "vitest";
import { parseRequestCapture, parseResponseCapture } from "../../src/doctor/capture.js";
import { diagnose } from "../../src/doctor/doctor.js";
import { sharedKeyDiffFindings } from "../../src/signature/doctor-adapter.js";
import { azureErrorBody, ECHOED_MAC, serverStringToSign, STORIES } from "./stories.js";

function toHttp(story: (typeof STORIES)[number]): string {
  const u = new URL(story.signed.url);
  return (
    [
      `${story.signed.method} ${u.pathname}${u.search} HTTP/1.1`,
      `Host: ${u.host}`,
      ...story.signed.headers.map((h) => `${h.name}: ${h.value}`),
    ].join("\n") + "\n"
  );
}

describe("request doctor with the signature diff", () => {
  for (const id of ["telemetry-header-added", "path-prefix-added", "x-ms-date-stripped"]) {
    it(`${id} becomes a doctor finding`, () => {
      const story = STORIES.find((s) => s.id === id)!;
      const exchange = parseRequestCapture(toHttp(story), "req.http");
      const response = parseResponseCapture(
        `HTTP/1.1 403 Server failed to authenticate the request.\nContent-Type: application/xml\nx-ms-error-code: AuthenticationFailed\n\n${azureErrorBody(serverStringToSign(story), story.errorTime)}`,
        "res.http",
      );
      const report = diagnose(exchange, response, { sharedKeyDiff: sharedKeyDiffFindings });
      const ids = report.findings.map((f) => f.id);
      expect(ids).toContain(`signature-${id}`);
      expect(ids).toContain("signature-fields-differ");
      expect(report.verdict.decision).toBe("authentication");
      expect(JSON.stringify(report)).not.toContain(ECHOED_MAC);
    });
  }
});
