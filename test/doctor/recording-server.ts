import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import type { CapturedExchange } from "../../src/doctor/capture.js";

/** What a request that reached the recording server carried. */
export interface Received {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A local HTTP server that keeps every request it gets and answers 403: the ground truth of what a
 * real client (curl, fetch) sends for a command a capture reader reads as text.
 */
export async function startRecordingServer(): Promise<{
  base: string;
  received: Received[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(403, { "x-ms-error-code": "AuthorizationPermissionMismatch" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * What a reader read from a command's text, held against what the client really sent: the method, the
 * path and query, every header read (with its value), and the body.
 */
export function expectReadAsSent(read: CapturedExchange["request"], got: Received): void {
  expect(read.method).toBe(got.method);
  const url = new URL(read.url);
  expect(url.pathname + url.search).toBe(got.url);
  for (const h of read.headers)
    expect({ [h.name]: got.headers[h.name.toLowerCase()] }).toEqual({ [h.name]: h.value });
  expect(read.body ?? "").toBe(got.body);
}
