import { rawRequestOf, rawResponseOf, type CorpusExchange } from "../doctor/corpus-exchange.js";

/**
 * Fiddler's session archives (.saz) for the tests: a zip of raw/<n>_c.txt (the request as sent, the
 * absolute URL on its first line), raw/<n>_s.txt (the response as received) and raw/<n>_m.xml, beside
 * [Content_Types].xml and _index.htm, as Fiddler's documentation lays it out, written by Python's
 * zipfile (an independent zip writer, write-zip.ts).
 */

export function sazOf(c: CorpusExchange): Record<string, string> {
  const host = new URL(c.url).host;
  const meta = (n: number) =>
    `<?xml version="1.0" encoding="utf-8"?><Session SID="${n}" BitFlags="0"></Session>`;
  return {
    "[Content_Types].xml": '<?xml version="1.0" encoding="utf-8"?><Types/>',
    "_index.htm": "<html><body>Sessions</body></html>",
    "raw/01_c.txt": `CONNECT ${host} HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    "raw/01_s.txt": "HTTP/1.1 200 Connection Established\r\nFiddlerGateway: Direct\r\n\r\n",
    "raw/01_m.xml": meta(1),
    "raw/02_c.txt": `GET ${new URL(c.url).origin}/?comp=properties&restype=service HTTP/1.1\r\nx-ms-version: 2025-01-05\r\n\r\n`,
    "raw/02_s.txt": "HTTP/1.1 200 OK\r\nx-ms-request-id: 5b9c0000-0000-0000-0000-000000000000\r\n\r\n",
    "raw/02_m.xml": meta(2),
    "raw/03_c.txt": rawRequestOf(c, "absolute URL"),
    "raw/03_s.txt": rawResponseOf(c),
    "raw/03_m.xml": meta(3),
  };
}
