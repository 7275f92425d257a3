import { describe, expect, it } from "vitest";
import { diagnosePaste } from "../../src/dashboard/diagnose-engine.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { sharedKeyDiffFindings } from "../../src/signature/doctor-adapter.js";
import { corpusExchange, expectSameDiagnosis, type CorpusExchange } from "./corpus-exchange.js";

/**
 * Charles Proxy's JSON session (.chlsj): a list of transactions with scheme, host, port, path and query,
 * and each side's header (firstLine, headers) and body (text, or base64 in encoded), as Charles writes it
 * and importers of it read it. The failed transaction must get the same diagnosis as the same exchange
 * captured as JSON, in `explain` and in the dashboard's paste page; the tunnel and the success are set
 * aside, and an HTTP/2 transaction (no Host header) is read from its URL parts.
 */
const CAPTURES = ["blob-sas-service-wrong-resource.azure", "blob-sharedkey-metadata-added.azure"];
const options = { sharedKeyDiff: sharedKeyDiffFindings };

function transaction(c: CorpusExchange, encoded: boolean, http2: boolean): unknown {
  const url = new URL(c.url);
  const headers = c.headers
    .filter(([n]) => !(http2 && n.toLowerCase() === "host"))
    .map(([name, value]) => ({ name, value }));
  const body = (text: string | undefined) =>
    text === undefined ? undefined : encoded ? { encoded: Buffer.from(text).toString("base64") } : { text };
  return {
    status: "COMPLETE",
    method: c.method,
    protocolVersion: http2 ? "HTTP/2.0" : "HTTP/1.1",
    scheme: url.protocol.replace(":", ""),
    host: url.hostname,
    actualPort: Number(url.port || (url.protocol === "http:" ? 80 : 443)),
    path: url.pathname,
    query: url.search.slice(1),
    tunnel: false,
    times: { start: "2026-12-03T20:08:17.000+00:00" },
    request: {
      header: {
        firstLine: `${c.method} ${url.pathname}${url.search} ${http2 ? "HTTP/2.0" : "HTTP/1.1"}`,
        headers: http2 ? [{ name: ":authority", value: url.host }, ...headers] : headers,
      },
      ...(c.body ? { body: body(c.body) } : {}),
    },
    response: {
      status: c.response.status,
      header: {
        firstLine: `HTTP/1.1 ${c.response.status} Forbidden`,
        headers: c.response.headers.map(([name, value]) => ({ name, value })),
      },
      ...(c.response.body ? { body: body(c.response.body) } : {}),
    },
  };
}

function session(c: CorpusExchange, encoded: boolean, http2: boolean): string {
  const url = new URL(c.url);
  return JSON.stringify(
    [
      {
        status: "COMPLETE",
        method: "CONNECT",
        scheme: "https",
        host: url.hostname,
        actualPort: 443,
        tunnel: true,
        request: {},
        response: { status: 200 },
      },
      {
        status: "COMPLETE",
        method: "GET",
        scheme: url.protocol.replace(":", ""),
        host: url.hostname,
        actualPort: Number(url.port || 443),
        path: "/",
        query: "comp=list",
        tunnel: false,
        request: {
          header: {
            firstLine: "GET /?comp=list HTTP/1.1",
            headers: [
              { name: "Host", value: url.host },
              { name: "x-ms-version", value: "2025-01-05" },
            ],
          },
        },
        response: {
          status: 200,
          header: { firstLine: "HTTP/1.1 200 OK", headers: [{ name: "x-ms-request-id", value: "1" }] },
        },
      },
      transaction(c, encoded, http2),
    ],
    null,
    2,
  );
}

describe("Charles Proxy JSON sessions", () => {
  for (const name of CAPTURES)
    it.each([
      [false, false],
      [true, true],
    ])(
      `diagnose the failed transaction of ${name} as its JSON capture is (base64: %s, HTTP/2: %s)`,
      (encoded, http2) => {
        const { text, exchange: c } = corpusExchange(name);
        const fromJson = explainCapture(text, undefined, options).primary!;
        const charles = explainCapture(session(c, encoded, http2), undefined, options);
        expect(charles.requests.map((r) => ("skipped" in r ? r.skipped : "diagnosed"))).toEqual([
          "it succeeded (200): nothing to diagnose",
          "diagnosed",
        ]);
        expectSameDiagnosis(charles.primary!, fromJson);
        const pasted = diagnosePaste({ request: session(c, encoded, http2) });
        expect(pasted.ok && pasted.report.findings.map((f) => f.id)).toEqual(
          fromJson.findings.map((f) => f.id),
        );
      },
    );

  it("says so when the session holds only tunnels, and leaves other JSON lists to the other readers", () => {
    const tunnelOnly = JSON.stringify([
      {
        method: "CONNECT",
        scheme: "https",
        host: "st01.blob.core.windows.net",
        actualPort: 443,
        tunnel: true,
        request: {},
        response: { status: 200 },
      },
    ]);
    expect(() => explainCapture(tunnelOnly, undefined, options)).toThrow(
      "the Charles session holds no request but CONNECT tunnels",
    );
    expect(() => explainCapture("[1, 2]", undefined, options)).toThrow(
      'request:1: method: "[1," is not an HTTP method',
    );
  });
});
