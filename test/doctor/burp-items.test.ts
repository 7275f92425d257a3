import { describe, expect, it } from "vitest";
import { diagnosePaste } from "../../src/dashboard/diagnose-engine.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { sharedKeyDiffFindings } from "../../src/signature/doctor-adapter.js";
import {
  corpusExchange,
  expectSameDiagnosis,
  rawRequestOf,
  rawResponseOf,
  type CorpusExchange,
} from "./corpus-exchange.js";

/**
 * Burp Suite's saved items (Proxy history > Save items): XML whose items hold the request as sent (a
 * path and a Host header) and the response as received, base64-encoded by default or as text, as Burp's
 * documentation lays the file out. The failed item must get the same diagnosis as the same exchange
 * captured as JSON, in `explain` and in the dashboard's paste page, the successful one set aside.
 */
const CAPTURES = ["blob-sas-service-missing-permission.azure", "blob-sharedkey-content-type-added.azure"];
const options = { sharedKeyDiff: sharedKeyDiffFindings };

function item(
  c: { url: string; method: string },
  request: string,
  response: string,
  base64: boolean,
): string {
  const url = new URL(c.url);
  const encoded = (text: string) => (base64 ? Buffer.from(text, "utf8").toString("base64") : text);
  return `  <item>
    <time>Thu Dec 03 20:08:17 UTC 2026</time>
    <url><![CDATA[${c.url}]]></url>
    <host ip="127.0.0.1">${url.hostname}</host>
    <port>${url.port || 443}</port>
    <protocol>${url.protocol.replace(":", "")}</protocol>
    <method><![CDATA[${c.method}]]></method>
    <path><![CDATA[${url.pathname}${url.search}]]></path>
    <extension>null</extension>
    <request base64="${base64}"><![CDATA[${encoded(request)}]]></request>
    <status>${/^HTTP\/1\.1 (\d+)/.exec(response)?.[1] ?? ""}</status>
    <responselength>${response.length}</responselength>
    <mimetype>XML</mimetype>
    <response base64="${base64}"><![CDATA[${encoded(response)}]]></response>
    <comment></comment>
  </item>`;
}

function burpFile(c: CorpusExchange, base64: boolean): string {
  const origin = new URL(c.url);
  const ok = {
    method: "GET",
    url: `${origin.origin}${origin.pathname.split("/").slice(0, 2).join("/")}?comp=list`,
  };
  return `<?xml version="1.0"?>
<!DOCTYPE items [
<!ELEMENT items (item*)>
<!ATTLIST items burpVersion CDATA "">
<!ATTLIST items exportTime CDATA "">
]>
<items burpVersion="2024.10.3" exportTime="Thu Dec 03 20:09:00 UTC 2026">
${item(ok, `GET ${new URL(ok.url).pathname}?comp=list HTTP/1.1\r\nHost: ${origin.host}\r\nx-ms-version: 2025-01-05\r\n\r\n`, "HTTP/1.1 200 OK\r\nx-ms-request-id: 1\r\n\r\n<EnumerationResults/>", base64)}
${item(c, rawRequestOf(c, "path and Host"), rawResponseOf(c), base64)}
</items>
`;
}

describe("Burp Suite's saved items", () => {
  for (const name of CAPTURES)
    it.each([true, false])(
      `diagnose the failed item of ${name} as its JSON capture is (base64: %s)`,
      (base64) => {
        const { text, exchange: c } = corpusExchange(name);
        const fromJson = explainCapture(text, undefined, options).primary!;
        const burp = explainCapture(burpFile(c, base64), undefined, options);
        expect(burp.requests.map((r) => ("skipped" in r ? r.skipped : "diagnosed"))).toEqual([
          "it succeeded (200): nothing to diagnose",
          "diagnosed",
        ]);
        expectSameDiagnosis(burp.primary!, fromJson);
        // The dashboard's paste page reads the same file (no Node Buffer there).
        const pasted = diagnosePaste({ request: burpFile(c, base64) });
        expect(pasted.ok && pasted.report.findings.map((f) => f.id)).toEqual(
          fromJson.findings.map((f) => f.id),
        );
      },
    );

  it("says so when the saved items hold no request", () => {
    expect(() =>
      explainCapture(
        '<?xml version="1.0"?>\n<items burpVersion="2024.10.3" exportTime="x">\n</items>\n',
        undefined,
        options,
      ),
    ).toThrow("Burp's saved items hold no request");
  });
});
