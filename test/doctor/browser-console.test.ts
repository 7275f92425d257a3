import { describe, expect, it } from "vitest";
import { parseRequestCapture, parseResponseCapture, storageErrorOf } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";

/**
 * A browser console's line for a page's failed Storage call, as SPA developers paste it: Chrome's and
 * Edge's (`PUT <url> 403 (<reason>)`, `net::ERR_FAILED` when CORS hid the answer), Firefox's
 * (`XHR PUT <url>[HTTP/1.1 403 <reason> 120ms]`), and the CORS refusal.
 */
const SIG = encodeURIComponent(Buffer.alloc(32, 7).toString("base64"));
const SAS = `sv=2022-11-02&ss=b&srt=o&sp=rl&se=2030-01-09T12:00:00Z&st=2024-01-09T08:00:00Z&spr=https&sig=${SIG}`;
const URL_ = `https://stapps01.blob.core.windows.net/uploads/photo.jpg?${SAS}`;
const MISMATCH = "This request is not authorized to perform this operation using this permission.";

describe("a browser console's line", () => {
  it.each([
    ["Chrome", `upload.ts:42          PUT ${URL_} 403 (${MISMATCH})`],
    ["Chrome, the answer hidden by CORS", `PUT ${URL_} net::ERR_FAILED 403 (${MISMATCH})`],
    ["Firefox", `XHR PUT ${URL_}[HTTP/1.1 403 ${MISMATCH} 143ms]`],
  ])("%s: the call and its answer, the code its reason phrase is", (_browser, line) => {
    const exchange = parseRequestCapture(line, "console.txt");
    expect(exchange.request.method).toBe("PUT");
    expect(exchange.response?.status).toBe(403);
    expect(storageErrorOf(exchange.response).code).toBe("AuthorizationPermissionMismatch");
    const result = explainCapture(line, undefined, {});
    expect(result.primary!.firstProblem?.id).toBe("sas-permission-mismatch");
    expect(JSON.stringify(result)).not.toContain(SIG);
    expect(storageErrorOf(parseResponseCapture(line, "console.txt")).code).toBe(
      "AuthorizationPermissionMismatch",
    );
  });

  it("the CORS refusal: said to be the CORS rules, not the credential, and what to give for the exact rule", () => {
    const line = `Access to fetch at '${URL_}' from origin 'https://app.contoso.com' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.`;
    expect(() => parseRequestCapture(line, "console.txt")).toThrow(
      /console\.txt: the browser refused the page's cross-origin call to stapps01\.blob\.core\.windows\.net from https:\/\/app\.contoso\.com .*never judged a key, SAS or token.*HAR or copied as cURL/,
    );
    expect(() => parseRequestCapture(line, "console.txt")).not.toThrow(new RegExp(SIG));
  });
});
