/**
 * Transcripts of failing calls as people capture them: what `curl -v` prints, the Azure SDK for
 * JavaScript's logging (AZURE_LOG_LEVEL=info), the Azure SDK for .NET's logging (Azure.Core's console
 * listener, and a Microsoft.Extensions.Logging console logger) followed by the exception the program
 * prints, the Azure SDK for Python's logging at DEBUG (its Storage policy, azure-core and urllib3) and
 * `az storage blob … --debug`. The real ones in test/doctor/captures/transcripts/, made by
 * scripts/make-transcript-captures.ts (the machine's curl and the real SDKs against Azurite), get their
 * expected verdict and first cause from `auth-triage explain` and from the dashboard's engine; the
 * readers' rules are held on the shapes curl and the SDK print in other runs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRequestCapture, parseResponseCapture } from "../../src/doctor/capture.js";
import { diagnose } from "../../src/doctor/doctor.js";
import { diagnosePaste } from "../../src/dashboard/diagnose-engine.js";
import type { TranscriptCapture } from "../../scripts/make-transcript-captures.js";
import { runCli } from "./cli.js";
import { writeTemp } from "../collect/helpers.js";

const DIR = join("test", "doctor", "captures", "transcripts");
const index = JSON.parse(readFileSync(join(DIR, "index.json"), "utf8")) as TranscriptCapture[];

describe("real transcripts of failing calls", () => {
  it("cover each SAS story with curl -v, the SDKs' logging, az and AzCopy (today's and 10.14), a wrong account key with Python and az, refused tokens with Python, and browsers' preflights with curl", () => {
    const stories = ["blob-sas-expired", "blob-sas-missing-permission", "blob-sas-wrong-key"];
    expect(index.map((c) => c.name).sort()).toEqual(
      [
        ...["curl", "dotnet-ilogger", "dotnet-sdk", "js-sdk", "js-error", "python-sdk", "az-cli"].flatMap(
          (tool) => stories.map((story) => `${tool}-${story}`),
        ),
        "python-sdk-blob-sharedkey-wrong-key",
        "python-sdk-blob-bearer-wrong-audience",
        "python-sdk-blob-bearer-expired",
        "az-cli-blob-sharedkey-wrong-key",
        ...["azcopy-console", "azcopy-log", "azcopy-legacy-console", "azcopy-legacy-log"].flatMap((tool) =>
          ["blob-sas-expired", "blob-sas-missing-permission"].map((story) => `${tool}-${story}`),
        ),
        "curl-blob-cors-no-rule",
        "curl-blob-cors-other-origin",
      ].sort(),
    );
  });

  it.each(index.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const path = join(DIR, `${c.name}.txt`);
    const text = readFileSync(path, "utf8");
    expect(parseRequestCapture(text, path).format).toBe(c.tool === "curl" ? "curl-verbose" : "sdk-log");
    const json = await runCli(["explain", "--request", path, "--format", "json"]);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect({ firstProblem: report.firstProblem?.id, decision: report.verdict.decision }).toEqual(c.expect);
    expect(report.emulator?.reason).toBeTruthy();
    // The .NET transcripts' bodies come from the exception's Content: the error's Time dates the request.
    if (c.tool.startsWith("dotnet")) expect(report.requestTime.source).toBe("the error's Time");
    const plain = await runCli(["explain", "--request", path]);
    expect(plain.stdout).toContain(`Verdict: ${c.expect.decision}.`);
    // curl's transcript carries each signature (URL-encoded, as sent), the SDKs' hide it: neither
    // spelling comes out, and a hidden one is said to be hidden rather than malformed.
    for (const secret of c.secrets) {
      if (c.tool === "curl") expect(text).toContain(encodeURIComponent(secret));
      for (const form of [secret, encodeURIComponent(secret)]) {
        expect(json.stdout).not.toContain(form);
        expect(plain.stdout).not.toContain(form);
      }
    }
    const ids = (report.findings as Array<{ id: string }>).map((f) => f.id);
    // Every SDK logger hides the signature, but urllib3's line under Python's (and az's) shows the URL
    // as sent; AzCopy's terminal text shows no query at all; a Shared Key request has no SAS.
    const sasShown = ["curl", "python-sdk", "az-cli", "azcopy-console"].includes(c.tool);
    expect(ids.includes("sas-sig-hidden")).toBe(!sasShown && c.name.includes("-sas-"));
    if (c.tool === "azcopy-console") expect(ids).toContain("auth-not-shown");
    // az prints only urllib3's line of a Shared Key request: no header, so no credential to see.
    if (c.tool === "az-cli" && !c.name.includes("-sas-")) expect(ids).toContain("auth-not-shown");
    if (c.expect.firstProblem === "bearer-rejected-by-server") {
      // Nothing in the request names the service (a path-style URL on another port); told it, the
      // exact fix is the token's, never the keys'.
      const told = await runCli(["explain", "--request", path, "--service", "blob", "--format", "json"]);
      expect(JSON.parse(told.stdout).remedy.kind).toBe("fix-token");
    }
    if (c.expect.firstProblem === "cors-preflight-refused") {
      // The exact fix is a CORS rule for what the browser asked, never a credential change.
      expect(report.remedy.kind).toBe("add-cors-rule");
      expect(report.remedy.commands[1].command).toContain(
        "--services b --origins https://app.contoso.com --methods PUT --allowed-headers content-type x-ms-blob-type x-ms-version",
      );
    }
    expect(ids).not.toContain("sas-sig-malformed");
    const pasted = diagnosePaste({ request: text });
    if (!pasted.ok) throw new Error(pasted.error);
    expect({
      firstProblem: pasted.report.firstProblem?.id,
      decision: pasted.report.verdict.decision,
    }).toEqual(c.expect);
  });
});

const sasUrl = "/c/b.txt?sv=2023-11-03&se=2026-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=c2lnbmF0dXJl";

describe("the curl -v reader", () => {
  it("takes the failed exchange of a transcript with redirects, over HTTP on port 80, with CRLF and -i", () => {
    const transcript = [
      "*   Trying 10.1.2.3:80...",
      "* Connected to files.contoso.com (10.1.2.3) port 80 (#0)",
      "> GET /old HTTP/1.1",
      "> Host: files.contoso.com",
      ">",
      "< HTTP/1.1 301 Moved Permanently",
      "< Location: http://files.contoso.com" + sasUrl,
      "<",
      "* Issue another request to this URL: 'http://files.contoso.com" + sasUrl + "'",
      "> GET " + sasUrl + " HTTP/1.1",
      "> Host: files.contoso.com",
      "> x-ms-version: 2023-11-03",
      "> ",
      "< HTTP/1.1 403 Server failed to authenticate the request.",
      "< Content-Type: application/xml",
      "< x-ms-error-code: AuthenticationFailed",
      "< ",
      "{ [215 bytes data]",
      "* Connection #0 to host files.contoso.com left intact",
      "HTTP/1.1 403 Server failed to authenticate the request.",
      "Content-Type: application/xml",
      "",
      '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>x</Message>' +
        "<AuthenticationErrorDetail>Signed expiry time [Thu, 01 Jan 2026 00:00:00 GMT] has to be after signed start time</AuthenticationErrorDetail></Error>",
    ].join("\r\n");
    const exchange = parseRequestCapture(transcript, "curl.txt");
    expect(exchange.format).toBe("curl-verbose");
    expect(exchange.request.method).toBe("GET");
    expect(exchange.request.url).toBe(`http://files.contoso.com${sasUrl}`);
    expect(exchange.request.headers).toContainEqual({ name: "x-ms-version", value: "2023-11-03" });
    expect(exchange.response?.status).toBe(403);
    expect(exchange.response?.headers).toContainEqual({
      name: "x-ms-error-code",
      value: "AuthenticationFailed",
    });
    // The body without the headers -i printed again.
    expect(exchange.response?.body).toMatch(/^<\?xml/);
    expect(exchange.response?.body).toContain("<AuthenticationErrorDetail>Signed expiry time");
  });

  it("reads a body with no line break before curl's last note, and a request that got no answer", () => {
    const answered = parseRequestCapture(
      [
        "> GET " + sasUrl + " HTTP/2",
        "> Host: acct.blob.core.windows.net",
        ">",
        "< HTTP/2 403",
        "< x-ms-error-code: AuthorizationFailure",
        "<",
        "<Error><Code>AuthorizationFailure</Code></Error>* Connection #0 to host acct.blob.core.windows.net left intact",
      ].join("\n"),
      "h2.txt",
    );
    expect(answered.request.url).toBe(`https://acct.blob.core.windows.net${sasUrl}`);
    expect(answered.response).toEqual({
      status: 403,
      headers: [{ name: "x-ms-error-code", value: "AuthorizationFailure" }],
      body: "<Error><Code>AuthorizationFailure</Code></Error>",
    });
    const unanswered = parseRequestCapture(
      [
        "*   Trying 10.0.0.9:443...",
        "> GET /c/b HTTP/1.1",
        "> Host: acct.blob.core.windows.net",
        ">",
        "* Recv failure: Connection reset by peer",
      ].join("\n"),
      "reset.txt",
    );
    expect(unanswered.format).toBe("curl-verbose");
    expect(unanswered.response).toBeUndefined();
  });

  it("names the file when a transcript has no request line, and keeps plain raw HTTP its own format", () => {
    expect(() =>
      parseRequestCapture("* Could not resolve host: nowhere\n< HTTP/1.1 403 x", "bad.txt"),
    ).toThrow(/bad\.txt/);
    expect(
      parseRequestCapture("GET /c/b HTTP/1.1\nHost: acct.blob.core.windows.net\n", "raw.txt").format,
    ).toBe("http");
  });
});

describe("the JavaScript SDK's log reader", () => {
  const request = (url: string, extra: string[] = []) => [
    "azure:storage-blob:info Request: {",
    `  "url": "${url}",`,
    '  "method": "PUT",',
    '  "headers": {',
    '    "x-ms-version": "2023-11-03",',
    '    "authorization": "REDACTED"',
    "  },",
    '  "timeout": 0',
    "}",
    ...extra,
  ];
  const response = (status: number, code: string) => [
    `azure:storage-blob:info Response status code: ${status}`,
    "azure:storage-blob:info Headers: {",
    `  "x-ms-error-code": "${code}",`,
    '  "date": "Sat, 05 Dec 2026 09:00:00 GMT"',
    "}",
  ];

  it("reads the last try that failed among retries, with timestamps before each line", () => {
    const log = [
      "azure:storage-common:info RetryPolicy: =====> Try=1 Primary",
      ...request("https://acct.blob.core.windows.net/c/a.txt"),
      ...response(503, "ServerBusy"),
      "azure:storage-common:info RetryPolicy: =====> Try=2 Primary",
      ...request("https://acct.blob.core.windows.net/c/b.txt"),
      ...response(403, "AuthorizationPermissionMismatch"),
      "azure:storage-common:info RetryPolicy: Attempt(s) 2 >= maxTries 2, no further try.",
    ].map((line, k) =>
      line.startsWith("azure:") && k % 2 === 0 ? `2026-12-05T09:00:00.000Z ${line}` : line,
    );
    const exchange = parseRequestCapture(log.join("\n"), "sdk.log");
    expect(exchange.format).toBe("sdk-log");
    expect(exchange.request).toEqual({
      method: "PUT",
      url: "https://acct.blob.core.windows.net/c/b.txt",
      headers: [
        { name: "x-ms-version", value: "2023-11-03" },
        { name: "authorization", value: "REDACTED" },
      ],
    });
    expect(exchange.response).toEqual({
      status: 403,
      headers: [
        { name: "x-ms-error-code", value: "AuthorizationPermissionMismatch" },
        { name: "date", value: "Sat, 05 Dec 2026 09:00:00 GMT" },
      ],
    });
  });

  it("names the file and line of a logged object cut off or not JSON", () => {
    const cut = request("https://acct.blob.core.windows.net/c/b.txt").slice(0, 5).join("\n");
    expect(() => parseRequestCapture(cut, "cut.log")).toThrow(/cut\.log:1: the logged object does not end/);
    const broken = request("https://acct.blob.core.windows.net/c/b.txt")
      .join("\n")
      .replace('"method"', "method");
    expect(() => parseRequestCapture(broken, "broken.log")).toThrow(
      /broken\.log:1: the logged object is not JSON/,
    );
  });
});

describe("the .NET SDK's log reader", () => {
  const url =
    "https://acct.blob.core.windows.net/c/b.txt?sv=2023-11-03&se=2026-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=REDACTED";
  const listener = (level: string, message: string[]) => [
    `[${level}] Azure-Core: ${message[0]}`,
    ...message.slice(1),
  ];
  const ilogger = (level: string, event: number, message: string[]) => [
    `${level}: Azure.Core[${event}]`,
    ...message.map((line) => `      ${line}`),
  ];
  const requestEvent = (id: string, target = url) => [
    `Request [${id}] PUT ${target}`,
    "x-ms-version:2023-11-03",
    "Authorization:REDACTED",
    "client assembly: Azure.Storage.Blobs",
  ];
  const errorEvent = (id: string, status: number, code: string) => [
    `Error response [${id}] ${status} Some reason. (00.1s)`,
    `x-ms-error-code:${code}`,
    "Date:Thu, 01 Jan 2026 01:00:00 GMT",
  ];
  const exception = [
    "Azure.RequestFailedException: This request is not authorized to perform this operation.",
    "RequestId:0f1e",
    "Time:2026-01-01T01:00:00.123Z",
    "Status: 403 (This request is not authorized to perform this operation.)",
    "ErrorCode: AuthorizationFailure",
    "",
    "Content:",
    '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationFailure</Code><Message>no</Message></Error>',
    "",
    "Headers:",
    "x-ms-error-code: AuthorizationFailure",
    "Date: Thu, 01 Jan 2026 01:00:00 GMT",
    "",
    "   at Azure.Storage.Blobs.BlockBlobRestClient.UploadAsync()",
  ];

  it("reads the last failed try of the console listener's log, with CRLF, and the exception's body", () => {
    const log = [
      ...listener("Informational", requestEvent("a1")),
      ...listener("Warning", errorEvent("a1", 503, "ServerBusy")),
      "[Informational] Azure-Core: Request [a1] attempt number 1 took 00.1s",
      ...listener("Informational", requestEvent("a1", url.replace("b.txt", "c.txt"))),
      ...listener("Warning", errorEvent("a1", 403, "AuthorizationFailure")),
      ...exception,
    ];
    const exchange = parseRequestCapture(log.join("\r\n"), "net.log");
    expect(exchange.format).toBe("sdk-log");
    expect(exchange.request).toEqual({
      method: "PUT",
      url: url.replace("b.txt", "c.txt"),
      headers: [
        { name: "x-ms-version", value: "2023-11-03" },
        { name: "Authorization", value: "REDACTED" },
      ],
    });
    expect(exchange.response?.status).toBe(403);
    expect(exchange.response?.headers).toContainEqual({
      name: "x-ms-error-code",
      value: "AuthorizationFailure",
    });
    expect(exchange.response?.body).toMatch(/^<\?xml.*<Code>AuthorizationFailure<\/Code>.*<\/Error>$/);
  });

  it("reads a Microsoft.Extensions.Logging console log printed after the exception, and logged content", () => {
    const log = [
      ...exception,
      ...ilogger("info", 1, requestEvent("b2")),
      ...ilogger("warn", 8, errorEvent("b2", 403, "AuthorizationPermissionMismatch")),
      ...ilogger("info", 9, [
        'Error response [b2] content: <?xml version="1.0"?>',
        "<Error><Code>AuthorizationPermissionMismatch</Code></Error>",
      ]),
      "info: Microsoft.Hosting.Lifetime[0]",
      "      Application is shutting down...",
    ];
    const exchange = parseRequestCapture(log.join("\n"), "ilogger.log");
    expect(exchange.request.url).toBe(url);
    // With content logging on, the logged content is the body, not the exception's.
    expect(exchange.response).toEqual({
      status: 403,
      headers: [
        { name: "x-ms-error-code", value: "AuthorizationPermissionMismatch" },
        { name: "Date", value: "Thu, 01 Jan 2026 01:00:00 GMT" },
      ],
      body: '<?xml version="1.0"?>\n<Error><Code>AuthorizationPermissionMismatch</Code></Error>',
    });
  });

  it("leaves out an exception whose status is not the logged answer's, and keeps a request with no answer", () => {
    const log = [
      ...listener("Informational", requestEvent("c3")),
      ...listener("Warning", errorEvent("c3", 401, "InvalidAuthenticationInfo")),
      ...exception,
    ];
    expect(parseRequestCapture(log.join("\n"), "other.log").response?.body).toBeUndefined();
    const unanswered = parseRequestCapture(
      listener("Informational", requestEvent("d4")).join("\n"),
      "alone.log",
    );
    expect(unanswered.request.method).toBe("PUT");
    expect(unanswered.response).toBeUndefined();
  });

  it("reads the exception's text alone as the response, and names the line of a bad header", () => {
    expect(parseResponseCapture(exception.join("\n"), "exception.txt")).toEqual({
      status: 403,
      headers: [
        { name: "x-ms-error-code", value: "AuthorizationFailure" },
        { name: "Date", value: "Thu, 01 Jan 2026 01:00:00 GMT" },
      ],
      body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationFailure</Code><Message>no</Message></Error>',
    });
    const broken = [...exception.slice(0, 10), "not a header", ...exception.slice(10)];
    expect(() => parseResponseCapture(["Unhandled exception.", ...broken].join("\n"), "bad.txt")).toThrow(
      /^bad\.txt:12: under "Headers:" expected "Name: value"$/,
    );
  });
});

describe("the Python SDK's log reader", () => {
  const sasQuery = "sv=2023-11-03&st=2026-12-05T08%3A00%3A00Z&se=2026-12-05T09%3A00%3A00Z&sr=b&sp=r";
  const blobUrl = "https://stcontoso01.blob.core.windows.net/reports/q3.csv";
  /**
   * The Storage SDK's policy (logging_enable=True), one record per line, as its source writes them; a
   * body's lines after its first are that record's, without a prefix.
   */
  const storagePolicy = (prefix: (k: number) => string, body: string[]) => [
    ...[
      `Request URL: '${blobUrl}?${sasQuery}&sig=sig=*****'`,
      "Request method: 'GET'",
      "Request headers:",
      "    'x-ms-range': 'bytes=0-33554431'",
      "    'x-ms-version': '2025-01-05'",
      "    'x-ms-date': 'Sat, 05 Dec 2026 10:15:02 GMT'",
      "Request body:",
      "Hidden body, please use logging_body to show body",
      "Response status: 403",
      "Response headers:",
      "    'Content-Type': 'application/xml'",
      "    'x-ms-request-id': '3b0c2a71-601e-0045-1f5e-47f0a2000000'",
      "    'x-ms-error-code': 'AuthenticationFailed'",
      "    'Date': 'Sat, 05 Dec 2026 10:15:02 GMT'",
      "Response content:",
      ...body.slice(0, 1),
    ].map((line, k) => prefix(k) + line),
    ...body.slice(1),
  ];
  const bytesBody =
    'b\'\\xef\\xbb\\xbf<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>' +
    "<Message>Server failed to authenticate the request.\\nRequestId:3b0c2a71\\nTime:2026-12-05T10:15:02.5013344Z</Message>" +
    "<AuthenticationErrorDetail>Signed expiry time [Sat, 05 Dec 2026 09:00:00 GMT] must be after signed start time [Sat, 05 Dec 2026 08:00:00 GMT] caf\\xc3\\xa9</AuthenticationErrorDetail></Error>'";

  it("reads each line past its logging prefix, and the body Python printed as bytes", async () => {
    for (const prefix of [
      () => "DEBUG:azure.storage.blob._shared.policies:",
      (k: number) => `2026-12-05 10:15:02,${100 + k} - azure.storage.blob._shared.policies - DEBUG - `,
    ]) {
      const log = storagePolicy(prefix, [bytesBody]).join("\n");
      const exchange = parseRequestCapture(log, "python.log");
      expect(exchange.request.headers).toContainEqual({ name: "x-ms-version", value: "2025-01-05" });
      expect(exchange.response?.headers).toContainEqual({
        name: "x-ms-error-code",
        value: "AuthenticationFailed",
      });
      expect(exchange.response?.body).toMatch(/^<\?xml version="1.0"/);
      expect(exchange.response?.body).toContain("request.\nRequestId:3b0c2a71\nTime:");
      expect(exchange.response?.body).toContain("start time [Sat, 05 Dec 2026 08:00:00 GMT] café<");
      const path = await writeTemp("python.log", log);
      const report = JSON.parse((await runCli(["explain", "--request", path, "--format", "json"])).stdout);
      const ids = (report.findings as Array<{ id: string }>).map((f) => f.id);
      expect(report.firstProblem.id).toBe("sas-expired");
      expect(ids).toContain("sas-sig-hidden");
      expect(ids).not.toContain("sas-sig-malformed");
      expect(report.response.errorCode).toBe("AuthenticationFailed");
    }
  });

  it("takes a body the policy logged as text over lines, and none where it says there is none", () => {
    const text = storagePolicy(
      () => "DEBUG:azure.storage.blob._shared.policies:",
      [
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed.',
        "RequestId:3b0c2a71",
        "Time:2026-12-05T10:15:02.5013344Z</Message></Error>",
      ],
    );
    expect(parseRequestCapture(text.join("\n"), "text.log").response?.body).toBe(
      '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed.\nRequestId:3b0c2a71\nTime:2026-12-05T10:15:02.5013344Z</Message></Error>',
    );
    const binary = storagePolicy(
      () => "DEBUG:azure.storage.blob._shared.policies:",
      ["Body contains binary data."],
    );
    expect(parseRequestCapture(binary.join("\n"), "binary.log").response?.body).toBeUndefined();
  });

  it("reads each try of a real log apart: the last one answered 4xx, its fields from the logger that shows them", () => {
    // The real transcript (the Storage policy, azure-core and urllib3 interleaved), after a first try
    // of the same request that a busy server answered 503, as the SDK's retry policy logs it.
    const real = readFileSync(join(DIR, "python-sdk-blob-sas-expired.txt"), "utf8");
    const requestId = /'x-ms-client-request-id': '([^']+)'/.exec(real)![1]!;
    const version = /_shared\.policies:\s+'x-ms-version': '([^']+)'/.exec(real)![1]!;
    const sent = /"GET (\S+) HTTP\/1\.1" 403/.exec(real)![1]!;
    const firstTry = real
      .slice(0, real.indexOf("Response content:"))
      .replaceAll(requestId, "11111111-0000-4000-8000-000000000001")
      .replace(/" 403 None/, '" 503 None')
      .replace(/Response status: 403/g, "Response status: 503")
      .replace(/AuthorizationFailure/g, "ServerBusy");
    const exchange = parseRequestCapture(`${firstTry}\n${real}`, "retried.log");
    const header = (name: string) =>
      exchange.request.headers.find((h) => h.name.toLowerCase() === name)?.value;
    expect(exchange.response?.status).toBe(403);
    expect(header("x-ms-client-request-id")).toBe(requestId);
    // The Storage policy shows x-ms-version where azure-core wrote REDACTED; urllib3 shows the whole
    // query as sent, the signature included.
    expect(version).not.toBe("REDACTED");
    expect(header("x-ms-version")).toBe(version);
    expect(new URL(exchange.request.url).pathname + new URL(exchange.request.url).search).toBe(sent);
    expect(sent).toMatch(/&se=[^&]+&.*&sig=[^&*]+$/);
    // No logger wrote the body (no logging_body): it is the XML of the exception the program printed.
    expect(exchange.response?.body).toMatch(
      /^<\?xml[\s\S]*<Code>AuthorizationFailure<\/Code>[\s\S]*<\/Error>$/,
    );
  });

  it("treats SAS fields azure-core's logging hid as hidden, not malformed", async () => {
    const hiddenQuery = "sv=REDACTED&st=REDACTED&se=REDACTED&sr=REDACTED&sp=REDACTED&sig=REDACTED";
    const log = [
      `INFO:azure.core.pipeline.policies.http_logging_policy:Request URL: '${blobUrl}?${hiddenQuery}'`,
      "Request method: 'GET'",
      "Request headers:",
      "    'x-ms-version': 'REDACTED'",
      "    'x-ms-date': 'REDACTED'",
      "No body was attached to the request",
      "INFO:azure.core.pipeline.policies.http_logging_policy:Response status: 403",
      "Response headers:",
      "    'x-ms-request-id': '3b0c2a71-601e-0045-1f5e-47f0a2000000'",
      "    'x-ms-error-code': 'AuthenticationFailed'",
      "    'Date': 'Sat, 05 Dec 2026 10:15:02 GMT'",
    ].join("\n");
    const path = await writeTemp("core.log", log);
    const report = JSON.parse((await runCli(["explain", "--request", path, "--format", "json"])).stdout);
    const ids = (report.findings as Array<{ id: string }>).map((f) => f.id);
    expect(ids).toEqual(expect.arrayContaining(["sas-sig-hidden", "sas-fields-hidden"]));
    for (const wrong of [
      "sas-bad-version",
      "sas-bad-start",
      "sas-bad-expiry",
      "sas-permission-mismatch",
      "sas-no-expiry",
    ])
      expect(ids).not.toContain(wrong);
    expect(report.firstProblem.id).toBe("sas-signature-rejected");
    expect(report.firstProblem.detail).toContain("it hides sv, sr, sp, st, se");
    expect(report.verdict.decision).toBe("sas");
  });
});

describe("the Go SDK's log and error readers (AzCopy)", () => {
  const url =
    "http://127.0.0.1:43313/devstoreaccount1/reports/up.txt?se=2026-12-05T12%3A53%3A52Z&sig=-REDACTED-&sp=r&sr=c&st=2026-12-05T10%3A53%3A52Z&sv=2023-11-03";
  /** A job log at AzCopy's default level, as it wrote one here: an earlier try, then the failed one. */
  const infoLog = [
    '2026/12/05 11:53:52 INFO: [P#0-T#0] Starting transfer: Source "/tmp/up.txt" Destination "http://127.0.0.1:43313/devstoreaccount1/reports/up.txt".',
    "2026/12/05 11:53:52 ==> REQUEST/RESPONSE (Try=1/3.1ms, OpTime=3.2ms) -- RESPONSE STATUS CODE ERROR",
    "   GET http://127.0.0.1:43313/devstoreaccount1/reports?restype=container&sig=-REDACTED-&sv=2023-11-03",
    "   X-Ms-Request-Id: [11111111-e438-4e22-b626-fa93845b845b]",
    'Response Details: <?xml version="1.0" encoding="UTF-8" standalone="yes"?> <Error>   <Code>ServerBusy</Code> ',
    "",
    "2026/12/05 11:53:52 ==> REQUEST/RESPONSE (Try=1/9.950741ms, OpTime=11.145995ms) -- RESPONSE STATUS CODE ERROR",
    `   PUT ${url}`,
    "   X-Ms-Request-Id: [028b08c4-e438-4e22-b626-fa93845b845b]",
    'Response Details: <?xml version="1.0" encoding="UTF-8" standalone="yes"?> <Error>   <Code>AuthorizationPermissionMismatch</Code>   <Message>This request is not authorized to perform this operation using this permission. </Message> ',
    "",
    "2026/12/05 11:53:52 ERR: [P#0-T#0] UPLOADFAILED: /tmp/up.txt : 403 : 403 This request is not authorized to perform this operation using this permission.. When Committing block list. X-Ms-Request-Id: 028b08c4-e438-4e22-b626-fa93845b845b",
  ].join("\n");

  it("reads the last failed try of a job log at the default level: status from the failure line, the answer's id, the abridged error", () => {
    const exchange = parseRequestCapture(infoLog, "azcopy.log");
    expect(exchange.format).toBe("sdk-log");
    expect(exchange.request).toEqual({ method: "PUT", url, headers: [] });
    expect(exchange.response).toEqual({
      status: 403,
      headers: [{ name: "X-Ms-Request-Id", value: "028b08c4-e438-4e22-b626-fa93845b845b" }],
      body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.</Message></Error>',
    });
  });

  it("reads the Go SDK's error text as a response, and as a request when it names one", () => {
    const text = [
      "INFO: Authentication failed, it is either not correct, or expired, or does not have the correct permission PUT https://stcontoso01.blob.core.windows.net/reports/up.txt",
      "--------------------------------------------------------------------------------",
      "RESPONSE 403: 403 This request is not authorized to perform this operation using this permission.",
      "ERROR CODE: AuthorizationPermissionMismatch",
      "--------------------------------------------------------------------------------",
      '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>no</Message></Error>',
      "--------------------------------------------------------------------------------",
    ].join("\n");
    const response = parseResponseCapture(text, "error.txt");
    expect(response).toEqual({
      status: 403,
      headers: [{ name: "x-ms-error-code", value: "AuthorizationPermissionMismatch" }],
      body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>no</Message></Error>',
    });
    const exchange = parseRequestCapture(text, "error.txt");
    expect(exchange.request).toEqual({
      method: "PUT",
      url: "https://stcontoso01.blob.core.windows.net/reports/up.txt",
      headers: [],
    });
    expect(exchange.credentialNotShown).toMatch(/leaves out the URL's query/);
    const noBody = text.replace(/<\?xml.*<\/Error>/, "Response contained no body");
    expect(parseResponseCapture(noBody, "nobody.txt").body).toBeUndefined();
    expect(() => parseRequestCapture(text.split("\n").slice(1).join("\n"), "bare.txt")).toThrow(
      /bare\.txt: the error names no request/,
    );
  });
});

describe("the Java SDK's log reader", () => {
  const url =
    "https://stcontoso01.blob.core.windows.net/reports/q3.csv?sv=REDACTED&st=REDACTED&se=REDACTED&sr=REDACTED&sp=REDACTED&sig=REDACTED";
  /** One line per event, after whatever the logging backend writes first (azure-core's own, logback's). */
  const event = (prefix: string, fields: Record<string, unknown>) => `${prefix}${JSON.stringify(fields)}`;
  const log = [
    event(
      "2026-12-05 10:15:01.120 [main] [INFO] com.azure.storage.blob.implementation.BlobsImpl$BlobsService - ",
      {
        "az.sdk.message": "HTTP request",
        method: "GET",
        url,
        tryCount: 1,
        "x-ms-version": "2025-01-05",
        authorization: "REDACTED",
        contentLength: 0,
      },
    ),
    event(
      "2026-12-05 10:15:01.300 [main] [INFO] com.azure.storage.blob.implementation.BlobsImpl$BlobsService - ",
      {
        "az.sdk.message": "HTTP response",
        contentLength: "0",
        statusCode: 503,
        url,
        durationMs: 180,
        "x-ms-error-code": "ServerBusy",
      },
    ),
    event("10:15:02.123 [main] INFO  c.a.s.b.i.BlobsImpl$BlobsService -- ", {
      "az.sdk.message": "HTTP request",
      method: "GET",
      url,
      tryCount: 2,
      "x-ms-version": "2025-01-05",
      "user-agent": "azsdk-java-azure-storage-blob/12.29.0 (17.0.15; Linux; 6.1.0)",
      contentLength: 0,
    }),
    event("10:15:02.140 [main] INFO  c.a.s.b.i.BlobsImpl$BlobsService -- ", {
      "az.sdk.message": "HTTP response",
      contentLength: "279",
      statusCode: 403,
      url,
      durationMs: 17,
      "x-ms-request-id": "3b0c2a71-601e-0045-1f5e-47f0a2000000",
      "x-ms-error-code": "AuthorizationPermissionMismatch",
      date: "Sat, 05 Dec 2026 10:15:02 GMT",
      body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>no</Message></Error>',
    }),
  ].join("\n");

  it("reads the last try answered 4xx, its headers and logged body, past any backend's prefix", () => {
    const exchange = parseRequestCapture(log, "java.log");
    expect(exchange.format).toBe("sdk-log");
    expect(exchange.request).toEqual({
      method: "GET",
      url,
      headers: [
        { name: "x-ms-version", value: "2025-01-05" },
        { name: "user-agent", value: "azsdk-java-azure-storage-blob/12.29.0 (17.0.15; Linux; 6.1.0)" },
      ],
    });
    expect(exchange.response).toEqual({
      status: 403,
      headers: [
        { name: "x-ms-request-id", value: "3b0c2a71-601e-0045-1f5e-47f0a2000000" },
        { name: "x-ms-error-code", value: "AuthorizationPermissionMismatch" },
        { name: "date", value: "Sat, 05 Dec 2026 10:15:02 GMT" },
      ],
      body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>no</Message></Error>',
    });
    // Everything the logger hid is hidden, not malformed: the answer's code decides.
    const report = diagnose(exchange, undefined);
    expect(report.verdict.decision).toBe("sas");
    const ids = report.findings.map((f) => f.id);
    expect(ids).toEqual(expect.arrayContaining(["sas-sig-hidden", "sas-fields-hidden"]));
    expect(ids).not.toContain("sas-bad-version");
  });

  it("names the line of an event cut off, and reads Java's exception text as the response", () => {
    const cut = log.split("\n")[0]!.slice(0, 160);
    expect(() => parseRequestCapture(cut, "cut.log")).toThrow(/^cut\.log:1: the logged event is not JSON/);
    const exception =
      'com.azure.storage.blob.models.BlobStorageException: Status code 403, "<?xml version=\\"1.0\\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>no</Message></Error>"';
    const response = parseResponseCapture(exception, "exception.txt");
    expect(response.status).toBe(403);
    expect(response.body).toContain("<Code>AuthorizationPermissionMismatch</Code>");
  });
});
