import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CaptureError,
  parseRequestCapture,
  parseRequestCaptures,
  parseResponseCapture,
  storageErrorOf,
} from "../../src/doctor/capture.js";
import { RequestInputError } from "../../src/signature/index.js";

/**
 * Whatever is pasted, a capture reader answers or says what is wrong (CaptureError, RequestInputError):
 * captures of every newer form, cut anywhere and with quotes, escapes and brackets dropped in, never
 * crash a reader.
 */

const SAMPLES = [
  `curl 'https://st01.blob.core.windows.net/c/b?sp=r&sig=abc' \\\n  -X 'PUT' \\\n  -H 'x-ms-version: 2023-11-03' \\\n  --data-raw $'a\\nb'`,
  `curl ^"https://st01.blob.core.windows.net/c/b^" ^\r\n  -H ^"x-ms-version: 2023-11-03^"`,
  `curl -sSXGET -G "https://st01.blob.core.windows.net/c" --data-urlencode "restype=container"`,
  `fetch("https://st01.blob.core.windows.net/c/b?sp=r&sig=abc", {\n  "headers": {"x-ms-version": "2023-11-03"},\n  "body": "x",\n  "method": "PUT"\n});`,
  JSON.stringify({
    name: "RestError",
    code: "AuthorizationPermissionMismatch",
    statusCode: 403,
    request: {
      url: "https://st01.blob.core.windows.net/?comp=list",
      method: "GET",
      headers: {
        _headersMap: { authorization: { name: "authorization", value: "Bearer JSON Web Token Redacted" } },
      },
    },
    response: { status: 403, headers: { _headersMap: {} }, bodyAsText: "<Error><Code>X</Code></Error>" },
  }),
  [
    "$session = New-Object Microsoft.PowerShell.Commands.WebRequestSession",
    '$session.UserAgent = "Mozilla/5.0"',
    'Invoke-WebRequest -UseBasicParsing -Uri "https://st01.blob.core.windows.net/c/b?sp=r&sig=abc" `',
    '-Method "PUT" `',
    "-Headers @{",
    '"x-ms-version"="2023-11-03"',
    "} `",
    '-Body ([System.Text.Encoding]::UTF8.GetBytes("caf$([char]233) `"q`""))',
  ].join("\r\n"),
  [
    `2026-12-05T13:55:15.953Z 1f info: BlobStorageContextMiddleware: RequestMethod=GET RequestURL=http://127.0.0.1/devstoreaccount1/c?restype=container RequestHeaders:{"x-ms-version":"2025-01-05","host":"127.0.0.1:10000","authorization":"SharedKey devstoreaccount1:abc="} ClientIP=127.0.0.1 Protocol=http HTTPVersion=1.1`,
    `2026-12-05T13:55:15.966Z 1f info: BlobSharedKeyAuthenticator:validate() [STRING TO SIGN]:"GET\\n\\n/devstoreaccount1/devstoreaccount1/c\\nrestype:container"`,
    `2026-12-05T13:55:15.968Z 1f error: ErrorMiddleware: Set HTTP body: "<Error><Code>AuthorizationFailure</Code></Error>"`,
    `2026-12-05T13:55:15.970Z 1f info: EndMiddleware: End response. TotalTimeInMS=17 StatusCode=403 StatusMessage=x Headers={"x-ms-error-code":"AuthorizationFailure"}`,
  ].join("\n"),
  [
    "╷",
    '│ Error: checking for existing Container "tfstate" (Account "Account \\"st01\\" (IsEdgeZone false / ZoneName \\"\\" / Subdomain Type \\"blob\\" / DomainSuffix \\"core.windows.net\\")"): executing request: unexpected status 403 (403 This request is not authorized to perform this operation.) with AuthorizationFailure: This request is not authorized to perform this operation.',
    "│ RequestId:c7b54bb5-001e-003e-188f-a8467c000000",
    "│ Time:2026-12-05T08:50:50.9981270Z",
    "╵",
  ].join("\n"),
  'Error: retrieving Container "c" (Account "st01" / Resource Group "rg"): containers.Client#GetProperties: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="AuthorizationPermissionMismatch" Message="This request is not authorized to perform this operation using this permission.\\nRequestId:981b30a7-d01e-00b2-46b4-b4ee7d000000"',
  // The older Go Storage SDKs' error, its detail running over lines, pasted from a CI log.
  [
    "===== RESPONSE ERROR (ServiceCode=CannotVerifyCopySource) =====",
    "Description=This request is not authorized to perform this operation.",
    "RequestId:fc23f241-201a-0106-49a6-f1eb47000000",
    "Time:2023-09-28T00:55:06.7063459Z, Details: ",
    "   AuthenticationErrorDetail: Server used following string to sign: 'GET",
    "",
    "/st01/c/b'.",
    "   Code: CannotVerifyCopySource",
    "   PUT https://st01.file.core.windows.net/s/d/f?comp=range&sv=2022-11-02&sig=-REDACTED-",
    "   X-Ms-Copy-Source: [https://st02.file.core.windows.net/s/d/f?sip=10.0.0.1&sp=r&sig=-REDACTED-]",
    "   --------------------------------------------------------------------------------",
    "   RESPONSE Status: 403 This request is not authorized to perform this operation.",
    "   X-Ms-Error-Code: [CannotVerifyCopySource]",
  ]
    .map((l) => `2023-09-28T00:55:06.9568002Z ${l}`)
    .join("\n"),
  // A browser console's line for a failed upload.
  "upload.ts:42  PUT https://st01.blob.core.windows.net/c/b?sp=r&sig=abc 403 (This request is not authorized to perform this operation using this permission.)",
  // Hadoop's ABFS error, as Spark prints it.
  'Operation failed: "This request is not authorized to perform this operation using this permission.", 403, GET, https://st01.dfs.core.windows.net/raw?upn=false&resource=filesystem&timeout=90, rId: 2f6b1e2c-501f-0066-3c1e-0b2c34000000, AuthorizationPermissionMismatch, "This request is not authorized. RequestId:2f6b1e2c-501f-0066-3c1e-0b2c34000000 Time:2024-01-09T10:11:12.1234567Z"',
  // Terraform's TF_LOG=DEBUG dump of the backend's call and its answer.
  [
    "2024-02-01T08:14:02.455Z [DEBUG] Azure Backend Request: ",
    "GET /tfstate?comp=list&restype=container HTTP/1.1",
    "Host: st01.blob.core.windows.net",
    "X-Ms-Version: 2018-11-09",
    "2024-02-01T08:14:02.913Z [DEBUG] Azure Backend Response for https://st01.blob.core.windows.net/tfstate?comp=list&restype=container: ",
    "HTTP/1.1 403 This request is not authorized to perform this operation.",
    "X-Ms-Error-Code: AuthorizationFailure",
    "",
    '<?xml version="1.0"?><Error><Code>AuthorizationFailure</Code></Error>: timestamp=2024-02-01T08:14:02.913Z',
  ].join("\n"),
  // Python's http.client debugging.
  String.raw`send: b'GET /c/b?sp=r&sig=abc HTTP/1.1\r\nHost: st01.blob.core.windows.net\r\nx-ms-meta-a: caf\xc3\xa9 \'q\'\r\n\r\n'` +
    "\nreply: 'HTTP/1.1 403 Forbidden\\r\\n'\nheader: x-ms-error-code: AuthorizationFailure\n<Error><Code>AuthorizationFailure</Code></Error>",
  // PowerShell 7's error record, cut by Format-List.
  [
    "Exception             : Microsoft.PowerShell.Commands.HttpResponseException: Response status code does not indicate success: 403 (Forbid",
    "                        den).",
    "TargetObject          : Method: GET, RequestUri: 'https://st01.blob.core.windows.net/c/b?sp=r&sig=abc', Version: 1.1, Content: <null>, Hea",
    "                        ders:",
    "                        {",
    "                          x-ms-version: 2023-11-03",
    "                        }",
    "ErrorDetails          : ",
    "                        <Error><Code>AuthorizationFailure</Code></Error>",
  ].join("\n"),
  // AzCopy's failed-transfer line and its destination.
  "2024/03/11 09:12:40 ERR: [P#0-T#7] COPYFAILED: https://st02.blob.core.windows.net/raw/a?sp=r&sig=-REDACTED- : 403 : 403 This request is not authorized to perform this operation.. When Staging block from URL. X-Ms-Request-Id: 5d0a2f3e-901e-0042-1b7c-73a1d4000000\n\n   Dst: https://st01.blob.core.windows.net/c/a?sp=rw&sig=-REDACTED-\n",
  [
    "RestError: This request is not authorized to perform this operation.",
    "RequestId:81456a8d-30c6-42cc-8c9b-f02cdbab0622",
    " {",
    '  "code": "AuthorizationFailure",',
    '  "statusCode": 403,',
    '  "details": { "errorCode": "AuthorizationFailure", "message": "x" },',
    '  "name": "RestError",',
    '  "request": { "url": "https://st01.blob.core.windows.net/c/b?sv=REDACTED&sig=REDACTED", "method": "GET", "headers": { "x-ms-version": "REDACTED" } }',
    "}",
  ].join("\n"),
  // Burp Suite's saved items: one base64, one as text.
  [
    '<?xml version="1.0"?>',
    '<items burpVersion="2024.10.3" exportTime="Thu Dec 03 20:09:00 UTC 2026">',
    "  <item>",
    `    <request base64="true"><![CDATA[${Buffer.from("GET /c/b?sp=r&sig=abc HTTP/1.1\r\nHost: st01.blob.core.windows.net\r\nx-ms-version: 2023-11-03\r\n\r\n").toString("base64")}]]></request>`,
    `    <response base64="true"><![CDATA[${Buffer.from("HTTP/1.1 403 Forbidden\r\nx-ms-error-code: AuthorizationFailure\r\n\r\n").toString("base64")}]]></response>`,
    "  </item>",
    "  <item>",
    '    <request base64="false"><![CDATA[PUT /c/b HTTP/1.1',
    "Host: st01.blob.core.windows.net",
    "x-ms-version: 2023-11-03",
    "",
    "x]]></request>",
    '    <response base64="false"><![CDATA[HTTP/1.1 403 Forbidden]]></response>',
    "  </item>",
    "</items>",
  ].join("\n"),
  // Charles Proxy's JSON session: a tunnel, then the call, its bodies as text and in base64.
  JSON.stringify([
    {
      method: "CONNECT",
      scheme: "https",
      host: "st01.blob.core.windows.net",
      actualPort: 443,
      tunnel: true,
      request: {},
    },
    {
      method: "PUT",
      scheme: "https",
      host: "st01.blob.core.windows.net",
      actualPort: 443,
      path: "/c/b",
      query: "sp=r&sig=abc",
      request: { header: { headers: [{ name: "x-ms-version", value: "2023-11-03" }] }, body: { text: "x" } },
      response: {
        status: 403,
        header: {
          firstLine: "HTTP/1.1 403 Forbidden",
          headers: [{ name: "x-ms-error-code", value: "AuthorizationFailure" }],
        },
        body: { encoded: Buffer.from("<Error><Code>AuthorizationFailure</Code></Error>").toString("base64") },
      },
    },
  ]),
];

const damaged = fc.record({
  sample: fc.nat({ max: SAMPLES.length - 1 }),
  // Half of them whole: damage inside a complete capture reaches the readers' inner parsing.
  cut: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
  inserts: fc.array(
    fc.record({
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      text: fc.constantFrom('"', "'", "\\", "{", "}", "^", "$'", "\n", "%", "\\u"),
    }),
    { maxLength: 3 },
  ),
});

function damage(d: { sample: number; cut: number; inserts: Array<{ at: number; text: string }> }): string {
  let text = SAMPLES[d.sample]!;
  text = text.slice(0, Math.max(1, Math.floor(text.length * (0.3 + 0.7 * d.cut))));
  for (const i of d.inserts) {
    const at = Math.floor(text.length * i.at);
    text = text.slice(0, at) + i.text + text.slice(at);
  }
  return text;
}

describe("a request file that holds only Storage's answer", () => {
  it.each([
    [
      "an SDK exception's text",
      "Status: 403 (This request is not authorized to perform this operation.)\nErrorCode: AuthorizationFailure\n\nHeaders:\nx-ms-error-code: AuthorizationFailure\n",
      /Storage's answer \(403 AuthorizationFailure\), not the request/,
    ],
    [
      "an XML error",
      '<?xml version="1.0"?><Error><Code>AuthenticationFailed</Code></Error>',
      /Storage's answer \(AuthenticationFailed\), not the request/,
    ],
    [
      "a raw response",
      "HTTP/1.1 403 Forbidden\r\nx-ms-error-code: AuthorizationFailure\r\n\r\n",
      /Storage's answer \(403 AuthorizationFailure\), not the request: give it as the response/,
    ],
  ])("%s: says so, and what to give instead", (_what, text, message) => {
    expect(() => parseRequestCapture(text, "req.txt")).toThrow(message);
  });

  // The Azure CLI prints its own message for three codes; the az storage module writes them.
  it.each([
    [
      'ERROR: \nYou do not have the required permissions needed to perform this operation.\nDepending on your operation, you may need to be assigned one of the following roles:\n    "Storage Blob Data Owner"\n\nIf you want to use the old authentication method and allow querying for the right account key, please use the "--auth-mode" parameter and "key" value.\n',
      "AuthorizationPermissionMismatch",
    ],
    [
      "ERROR: \nThe request may be blocked by network rules of storage account. Please check network rule set using 'az storage account show -n accountname --query networkRuleSet'.\nIf you want to change the default action to apply when no rule matches, please use 'az storage account update'.\n",
      "AuthorizationFailure",
    ],
    [
      "ERROR: \nAuthentication failure. This may be caused by either invalid account key, connection string or sas token value provided for your storage account.\n",
      "AuthenticationFailed",
    ],
  ])("the Azure CLI's own message is read as its code, and az --debug is asked for (%#)", (text, code) => {
    expect(storageErrorOf(parseResponseCapture(text, "az.txt")).code).toBe(code);
    expect(parseResponseCapture(text, "az.txt").status).toBe(403);
    expect(() => parseRequestCapture(text, "az.txt")).toThrow(
      new RegExp(`az\\.txt: this is what the Azure CLI printed for Storage's answer \\(${code}: .*--debug`),
    );
  });

  it("Python's logging's ERROR line is not the Azure CLI's", () => {
    const python = "ERROR:root:Server failed to authenticate the request.\nErrorCode:AuthenticationFailed\n";
    expect(() => parseRequestCapture(python, "py.txt")).toThrow(
      /py\.txt: this is Storage's answer \(AuthenticationFailed\)/,
    );
  });

  it("Azure PowerShell's Storage cmdlets: today's (the exception after the cmdlet's name) and the older ones", () => {
    const today = [
      "Get-AzStorageBlob: This request is not authorized to perform this operation using this permission.",
      "RequestId:5d7a8c4e-201e-0047-3b2a-48a1c9000000",
      "Time:2026-12-05T20:15:02.1234567Z",
      "Status: 403 (This request is not authorized to perform this operation using this permission.)",
      "ErrorCode: AuthorizationPermissionMismatch",
      "",
      "Headers:",
      "x-ms-error-code: AuthorizationPermissionMismatch",
    ].join("\n");
    const older = [
      "Get-AzStorageBlob : The remote server returned an error: (403) Forbidden. HTTP Status Code: 403 - HTTP Error Message: This request is not authorized to perform this operation.",
      "ErrorCode: AuthorizationFailure",
      "ErrorMessage: This request is not authorized to perform this operation.",
      "At line:1 char:1",
      "+ Get-AzStorageBlob -Container logs -Context $ctx",
      "    + CategoryInfo          : CloseError: (:) [Get-AzStorageBlob], StorageException",
    ].join("\n");
    for (const [text, code] of [
      [today, "AuthorizationPermissionMismatch"],
      [older, "AuthorizationFailure"],
    ] as const) {
      const answer = parseResponseCapture(text, "ps.txt");
      expect(answer.status).toBe(403);
      expect(storageErrorOf(answer).code).toBe(code);
      expect(() => parseRequestCapture(text, "ps.txt")).toThrow(/Storage's answer \(403 /);
    }
  });

  it("text that is neither keeps the reader's own error, with its line", () => {
    expect(() => parseRequestCapture("hello world\nfoo", "req.txt")).toThrow(/req.txt:2: header/);
  });
});

describe("capture readers under damage", () => {
  it("every sample reads as it is", () => {
    for (const s of SAMPLES) expect(() => parseRequestCaptures(s, "x")).not.toThrow();
  });

  it("bad escapes and a broken URL inside a complete capture are refused with the place", () => {
    const azurite = SAMPLES[6]!;
    for (const [text, reason] of [
      [SAMPLES[3]!.replace("sig=abc", "sig=ab\\uZZ"), /x: the URL is not a JSON string/],
      [azurite.replace("<Error>", "\\x<Error>"), /x:3: HTTP body: not a JSON string/],
      [azurite.replace("RequestURL=http://127.0.0.1/", "RequestURL=::nope/"), /x:1: RequestURL is not a URL/],
    ] as const)
      expect(() => parseRequestCapture(text, "x")).toThrow(reason);
  });

  it("a damaged capture is read or refused with a reason, never a crash", () => {
    fc.assert(
      fc.property(damaged, (d) => {
        const text = damage(d);
        for (const read of [
          () => parseRequestCapture(text, "x"),
          () => parseRequestCaptures(text, "x"),
          () => parseResponseCapture(text, "x"),
        ]) {
          try {
            read();
          } catch (err) {
            expect(err instanceof CaptureError || err instanceof RequestInputError, String(err)).toBe(true);
          }
        }
      }),
      { numRuns: 2500 },
    );
  });
});
