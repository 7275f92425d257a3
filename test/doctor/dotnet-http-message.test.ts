import { describe, expect, it } from "vitest";
import { parseRequestCapture, parseResponseCapture, storageErrorOf } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { storyBlobSas } from "../../scripts/make-transcript-captures.js";
import { runPwsh } from "../pwsh.js";
import { useStoryAzurite } from "./story-azurite.js";

/**
 * .NET's HttpRequestMessage and HttpResponseMessage as ToString() prints them: PowerShell 7's error record
 * for a failed Invoke-RestMethod (`$_ | Format-List * -Force`, cut at the console's width) and a .NET
 * program's log of its HttpClient call. The PowerShell ones are what the real PowerShell 7 prints now,
 * against Azurite.
 */
const HOUR = 3_600_000;

describe("PowerShell 7's error record of a refused Invoke-RestMethod", () => {
  const story = useStoryAzurite();

  // Widths a console has: the record is cut at each, mid-word at times, and read back whole.
  for (const width of [100, 160, 240]) {
    it(`$_ | Format-List * -Force at ${width} columns: the request with its headers, the status and the error`, async () => {
      const sas = storyBlobSas("r", Date.now() - 3 * HOUR, Date.now() - HOUR);
      const sig = new URLSearchParams(sas).get("sig")!;
      const printed = await runPwsh(
        `try { Invoke-RestMethod -Uri '${story().blobUrl}?${sas}' -Headers @{ 'x-ms-version' = '2023-11-03' } } catch { $_ | Format-List * -Force | Out-String -Width ${width} }`,
      );
      const exchange = parseRequestCapture(printed, "error-record.txt");
      expect(exchange.request.method).toBe("GET");
      expect(exchange.request.headers).toContainEqual({ name: "x-ms-version", value: "2023-11-03" });
      expect(exchange.request.url).toContain("/devstoreaccount1/reports/");
      expect(exchange.response?.status).toBe(403);
      const result = explainCapture(printed, undefined, {});
      expect(result.primary!.firstProblem?.id).toBe("sas-expired");
      for (const form of [sig, encodeURIComponent(sig)]) expect(JSON.stringify(result)).not.toContain(form);
    }, 60_000);
  }
});

describe("PowerShell 7's error view, its colour codes kept (a CI job's raw log)", () => {
  it("reads Storage's error after the cmdlet's name", () => {
    const printed =
      "\x1b[31;1mInvoke-RestMethod: \x1b[31;1m\x1b[0m\n\x1b[31;1m\x1b[31;1m<Error>\x1b[0m\n\x1b[31;1m\x1b[31;1m  <Code>AuthorizationPermissionMismatch</Code>\x1b[0m\n\x1b[31;1m\x1b[31;1m  <Message>This request is not authorized to perform this operation using this permission.\x1b[0m\n\x1b[31;1m\x1b[31;1mRequestId:572f9676-0880-46fd-9ecb-7b5ff4aedb2c\x1b[0m\n\x1b[31;1m\x1b[31;1mTime:2026-12-05T22:47:04.066Z</Message>\x1b[0m\n\x1b[31;1m\x1b[31;1m</Error>\x1b[0m\n";
    expect(storageErrorOf(parseResponseCapture(printed, "ci.log"))).toMatchObject({
      code: "AuthorizationPermissionMismatch",
      timeMs: Date.parse("2026-12-05T22:47:04.066Z"),
    });
    // A coloured status line and header names (HTTPie's, a coloured curl): read as plain text.
    const coloured =
      "\x1b[34mHTTP\x1b[39m/\x1b[34m1.1\x1b[39m \x1b[34m403\x1b[39m \x1b[36mForbidden\x1b[39m\n\x1b[36mx-ms-error-code\x1b[39m: AuthorizationFailure\n\n";
    const answer = parseResponseCapture(coloured, "httpie.txt");
    expect(answer.status).toBe(403);
    expect(storageErrorOf(answer).code).toBe("AuthorizationFailure");
  });
});

describe(".NET's HttpRequestMessage and HttpResponseMessage in a program's log", () => {
  const logged = [
    "fail: Contoso.Reports.Uploader[0]",
    "      Upload refused: Method: PUT, RequestUri: 'https://stapps01.blob.core.windows.net/uploads/q3.csv', Version: 1.1, Content: System.Net.Http.ByteArrayContent, Headers:",
    "{",
    "  x-ms-date: Sat, 05 Dec 2026 10:15:02 GMT",
    "  x-ms-version: 2023-11-03",
    "  x-ms-blob-type: BlockBlob",
    "  Authorization: Bearer REDACTED",
    "  Content-Length: 4",
    "}",
    "      StatusCode: 403, ReasonPhrase: 'This request is not authorized to perform this operation using this permission.', Version: 1.1, Content: System.Net.Http.HttpConnectionResponseContent, Headers:",
    "{",
    "  Server: Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0",
    "  x-ms-request-id: 1a9db850-b01e-0036-17c2-5708ec000000",
    "  x-ms-error-code: AuthorizationPermissionMismatch",
    "  Date: Sat, 05 Dec 2026 10:15:02 GMT",
    "}",
  ].join("\n");

  it("reads the request and the answer's status and headers", () => {
    const exchange = parseRequestCapture(logged, "app.log");
    expect(exchange.request.method).toBe("PUT");
    expect(exchange.request.headers).toContainEqual({ name: "x-ms-blob-type", value: "BlockBlob" });
    expect(exchange.response?.status).toBe(403);
    expect(storageErrorOf(exchange.response).code).toBe("AuthorizationPermissionMismatch");
    expect(explainCapture(logged, undefined, {}).primary!.verdict.decision).toBe("rbac");
  });

  it("an HttpRequestException's status line alone gives the status", () => {
    const answer = parseResponseCapture(
      "System.Net.Http.HttpRequestException: Response status code does not indicate success: 403 (Forbidden).\n   at System.Net.Http.HttpResponseMessage.EnsureSuccessStatusCode()",
      "exception.txt",
    );
    expect(answer.status).toBe(403);
  });
});
