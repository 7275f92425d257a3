/** Sending exactly-signed requests to Azurite and reading the string-to-sign from its --debug log. */
import { request as httpRequest } from "node:http";
import { readFile } from "node:fs/promises";
import type { HttpHeader, ParsedRequest } from "../../src/signature/http-request.js";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends the request as given: Host first, then the headers in order; nothing else is added. */
export function sendRaw(
  req: Pick<ParsedRequest, "method" | "url" | "headers" | "body">,
): Promise<RawResponse> {
  const url = new URL(req.url);
  // With raw (array) headers Node adds nothing, not even Host: send it first, as any client would.
  const flat: string[] = ["Host", url.host];
  for (const h of req.headers as HttpHeader[]) flat.push(h.name, h.value);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      {
        method: req.method,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: flat,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    r.on("error", reject);
    r.end(req.body ?? undefined);
  });
}

const STRING_TO_SIGN_LINE = /\[STRING TO SIGN\]:("(?:[^"\\]|\\.)*")/g;

/**
 * Reads the [STRING TO SIGN] values from Azurite's debug log. Requests are told apart by a unique
 * x-ms-client-request-id, which is signed and so appears inside the logged string.
 */
export class AzuriteDebugLog {
  constructor(private readonly path: string) {}

  /** Waits for the logged string(s)-to-sign that contain `marker` (the log is written asynchronously). */
  async find(marker: string, timeoutMs = 5000): Promise<{ strings: string[]; lines: string[] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await readFile(this.path, "utf8").catch(() => "");
      const lines = text.split("\n").filter((l) => l.includes("[STRING TO SIGN]") && l.includes(marker));
      if (lines.length > 0) {
        const strings = lines.flatMap((l) =>
          [...l.matchAll(STRING_TO_SIGN_LINE)].map((m) => JSON.parse(m[1]!) as string),
        );
        return { strings, lines };
      }
      if (Date.now() > deadline) return { strings: [], lines: [] };
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
