import { describe, expect, it } from "vitest";
import { parseRequestCapture, parseResponseCapture, storageErrorOf } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { sharedKeyDiffFindings } from "../../src/signature/doctor-adapter.js";

/**
 * Python's http.client with `HTTPConnection.debuglevel = 1`, as a program that signs its own Storage calls
 * with `requests` prints it (the live test runs the real http.client against Azurite): the request as a
 * bytes literal, its body in a `send:` of its own, the `reply:` and its `header:` lines, then the body the
 * program printed.
 */
/** What Storage signed: the request as sent, so only the key can differ (a key pasted with a stray byte). */
const SERVER_STRING_TO_SIGN = [
  "PUT",
  "",
  "",
  "5",
  "",
  "text/plain; charset=utf-8",
  "",
  "",
  "",
  "",
  "",
  "",
  "x-ms-blob-type:BlockBlob",
  "x-ms-date:Sat, 05 Dec 2026 10:15:02 GMT",
  "x-ms-meta-author:Renée O'Neil",
  "x-ms-version:2023-11-03",
  "/stapps01/uploads/r%C3%A9sum%C3%A9.txt",
].join("\n");
const SIGNED_BY_HAND = String.raw`send: b'PUT /uploads/r%C3%A9sum%C3%A9.txt HTTP/1.1\r\nHost: stapps01.blob.core.windows.net\r\nUser-Agent: python-requests/2.31.0\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\nx-ms-date: Sat, 05 Dec 2026 10:15:02 GMT\r\nx-ms-version: 2023-11-03\r\nx-ms-blob-type: BlockBlob\r\nx-ms-meta-author: Ren\xc3\xa9e O\'Neil\r\nContent-Type: text/plain; charset=utf-8\r\nAuthorization: SharedKey stapps01:bWFjLXRoYXQtbXVzdC1uZXZlci1iZS1zaG93bg==\r\nContent-Length: 5\r\n\r\n'
send: b'hello'
reply: 'HTTP/1.1 403 Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\r\n'
header: Content-Length: 663
header: Content-Type: application/xml
header: Server: Microsoft-HTTPAPI/2.0
header: x-ms-request-id: 9e1c4c0f-c01e-0054-7a2e-85d5c1000000
header: x-ms-error-code: AuthenticationFailed
header: Date: Sat, 05 Dec 2026 10:15:02 GMT
<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.
RequestId:9e1c4c0f-c01e-0054-7a2e-85d5c1000000
Time:2026-12-05T10:15:02.9870452Z</Message><AuthenticationErrorDetail>The MAC signature found in the HTTP request 'bWFjLXRoYXQtbXVzdC1uZXZlci1iZS1zaG93bg==' is not the same as any computed signature. Server used following string to sign: '${SERVER_STRING_TO_SIGN}'.</AuthenticationErrorDetail></Error>`;

describe("Python's http.client debugging", () => {
  it("reads the request as sent (its bytes literal unescaped), the reply, its headers and the printed body", () => {
    const exchange = parseRequestCapture(SIGNED_BY_HAND, "debug.txt");
    expect(exchange.request.method).toBe("PUT");
    expect(exchange.request.url).toBe("https://stapps01.blob.core.windows.net/uploads/r%C3%A9sum%C3%A9.txt");
    expect(exchange.request.headers).toContainEqual({
      name: "Content-Type",
      value: "text/plain; charset=utf-8",
    });
    expect(exchange.request.headers).toContainEqual({ name: "x-ms-meta-author", value: "Renée O'Neil" });
    expect(exchange.response?.status).toBe(403);
    expect(storageErrorOf(exchange.response)).toMatchObject({
      code: "AuthenticationFailed",
      timeMs: Date.parse("2026-12-05T10:15:02.987Z"),
    });
    expect(storageErrorOf(exchange.response).stringToSign).toContain(
      "/stapps01/uploads/r%C3%A9sum%C3%A9.txt",
    );
  });

  it("diagnoses the Shared Key request it shows against Storage's string-to-sign, never printing its signature", () => {
    const result = explainCapture(SIGNED_BY_HAND, undefined, { sharedKeyDiff: sharedKeyDiffFindings });
    const report = result.primary!;
    expect(report.scheme).toBe("SharedKey");
    // Every header arrived as signed: the key (or the client's signing code) is what differs.
    expect(report.firstProblem?.id).toBe("signature-identical");
    expect(report.verdict.decision).toBe("authentication");
    expect(JSON.stringify(result)).not.toContain("bWFjLXRoYXQtbXVzdC1uZXZlci1iZS1zaG93bg");
  });

  it("its reply and header lines alone serve as the response", () => {
    const answer = SIGNED_BY_HAND.slice(SIGNED_BY_HAND.indexOf("reply:"));
    const response = parseResponseCapture(answer, "answer.txt");
    expect(response.status).toBe(403);
    expect(storageErrorOf(response).code).toBe("AuthenticationFailed");
  });
});
