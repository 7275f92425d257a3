/**
 * The failure stories of ../shared/reference/peers-and-failure-stories.md §(c) as request pairs: what
 * the client signed, and what reached the server after the story's culprit changed it. The server's
 * string-to-sign is built from the changed request and wrapped in an Azure-shaped 403 error body.
 */
import { buildStringToSign, type SigningTarget } from "../../src/signature/canonical.js";
import type { HttpHeader, ParsedRequest } from "../../src/signature/http-request.js";

export const TEST_KEY = Buffer.from("storage-auth-triage test key, not a secret").toString("base64");
/** A MAC as the service echoes it; must never be printed. */
export const ECHOED_MAC = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=";

export interface Story {
  id: string;
  title: string;
  signed: ParsedRequest;
  received: ParsedRequest;
  target: SigningTarget;
  /** Server-side version override (the Content-Length rule story). */
  serverVersion?: string;
  errorTime: string;
}

const blob: SigningTarget = { account: "contoso", service: "blob", scheme: "SharedKey" };
const DATE = "Tue, 03 Nov 2026 10:15:00 GMT";

function req(method: string, url: string, headers: [string, string][]): ParsedRequest {
  return {
    method,
    url,
    headers: headers.map(([name, value]): HttpHeader => ({ name, value })),
    format: "http",
  };
}

function withHeaders(r: ParsedRequest, change: (h: HttpHeader[]) => HttpHeader[]): ParsedRequest {
  return { ...r, headers: change(r.headers.map((h) => ({ ...h }))) };
}

const base = (path: string, extra: [string, string][] = [], method = "GET") =>
  req(method, `https://contoso.blob.core.windows.net${path}`, [
    ["x-ms-date", DATE],
    ["x-ms-version", "2021-08-06"],
    ["Authorization", `SharedKey contoso:${ECHOED_MAC}`],
    ...extra,
  ]);

export const STORIES: Story[] = (() => {
  const stripped = base("/logs/app.log", [["Date", "Tue, 03 Nov 2026 10:15:01 GMT"]]);
  const apm = base("/data/report.csv");
  const iis = base("/media/a%2Cb%2Cc.jpg");
  const nginx = base("/backups/db.bak");
  const spaced = base("/media/q3%20final.csv");
  const cased = base("/media/Reports/Q3-Summary.pdf");
  const emptyPut = base("/tmp?restype=container", [["Content-Length", "0"]], "PUT");
  const upload = base(
    "/uploads/n.json",
    [
      ["Content-Length", "5"],
      ["x-ms-blob-type", "BlockBlob"],
    ],
    "PUT",
  );
  const versioned = base("/c/b");
  const stale = base("/c/old");
  return [
    {
      id: "x-ms-date-stripped",
      title: "A proxy stripped x-ms-date",
      signed: stripped,
      received: withHeaders(stripped, (h) => h.filter((x) => x.name !== "x-ms-date")),
      target: blob,
      errorTime: "2026-11-03T10:15:02.0000000Z",
    },
    {
      id: "telemetry-header-added",
      title: "An APM SDK added x-ms-request-root-id after signing",
      signed: apm,
      received: withHeaders(apm, (h) => [
        ...h,
        { name: "x-ms-request-root-id", value: "5e7f0ac1" },
        { name: "x-ms-request-id", value: "|5e7f0ac1.1" },
      ]),
      target: blob,
      errorTime: "2026-11-03T10:15:02.0000000Z",
    },
    {
      id: "path-encoding-changed",
      title: "IIS in front decoded %2C",
      signed: iis,
      received: { ...iis, url: "https://contoso.blob.core.windows.net/media/a,b,c.jpg" },
      target: blob,
      errorTime: "2026-11-03T10:15:02.0000000Z",
    },
    {
      id: "path-double-encoded",
      title: "An nginx proxy_pass with a URI encoded '%20' again",
      signed: spaced,
      received: { ...spaced, url: "https://contoso.blob.core.windows.net/media/q3%2520final.csv" },
      target: blob,
      errorTime: "2026-11-03T10:15:02.0000000Z",
    },
    {
      id: "path-case-changed",
      title: "A lower-case URL rule in front of Storage",
      signed: cased,
      received: { ...cased, url: "https://contoso.blob.core.windows.net/media/reports/q3-summary.pdf" },
      target: blob,
      errorTime: "2026-11-03T10:15:02.0000000Z",
    },
    {
      id: "path-prefix-added",
      title: "An nginx ingress forwarded its /blobstorage prefix",
      signed: nginx,
      received: { ...nginx, url: "https://contoso.blob.core.windows.net/blobstorage/backups/db.bak" },
      target: blob,
      errorTime: "2026-11-03T10:15:02.0000000Z",
    },
    {
      id: "content-length-zero-rule",
      title: "Content-Length 0 signed under the other version rule",
      signed: emptyPut,
      received: emptyPut,
      serverVersion: "2014-02-14",
      target: blob,
      errorTime: "2026-11-03T10:15:02.0000000Z",
    },
    {
      id: "content-type-added",
      title: "A library added Content-Type after signing",
      signed: upload,
      received: withHeaders(upload, (h) => [
        ...h,
        { name: "Content-Type", value: "text/plain;charset=UTF-8" },
      ]),
      target: blob,
      errorTime: "2026-11-03T10:15:02.0000000Z",
    },
    {
      id: "version-changed",
      title: "x-ms-version rewritten after signing",
      signed: versioned,
      received: withHeaders(versioned, (h) =>
        h.map((x) => (x.name === "x-ms-version" ? { ...x, value: "2019-02-02" } : x)),
      ),
      target: blob,
      errorTime: "2026-11-03T10:15:02.0000000Z",
    },
    {
      id: "stale-date",
      title: "A clock 3 days behind",
      signed: stale,
      received: stale,
      target: blob,
      errorTime: "2026-11-06T10:15:02.0000000Z",
    },
  ];
})();

/** The server's string-to-sign for a story: built from what the server received. */
export function serverStringToSign(story: Story): string {
  return buildStringToSign(
    story.received,
    story.target,
    story.serverVersion ? { version: story.serverVersion } : {},
  ).text;
}

/** An Azure-shaped 403 error body (XML, newlines inside the detail as the service sends them). */
export function azureErrorBody(stringToSign: string, time: string): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return (
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>` +
    `<Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\n` +
    `RequestId:0c3e6a1d-701e-0040-2f3a-0e8c5b000000\nTime:${time}</Message>` +
    `<AuthenticationErrorDetail>The MAC signature found in the HTTP request '${ECHOED_MAC}' is not the same as any computed signature. Server used following string to sign: '${esc(stringToSign)}'.</AuthenticationErrorDetail></Error>`
  );
}
