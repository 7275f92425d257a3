import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect } from "vitest";
import type { CapturedExchange } from "../../src/doctor/capture.js";

/** What a request that reached the recording server carried. */
export interface Received {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A service SAS with only read (`sp=r`), its signature a canary that must never be shown. */
export const READ_ONLY_SAS =
  "sv=2023-11-03&se=2026-12-05T12%3A00%3A00Z&sr=b&sp=r&sig=c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmE%3D";

export interface RecordingServer {
  base: string;
  received: Received[];
  /** Runs `send` (a real client) and returns the one request that reached the server meanwhile. */
  sentBy(send: () => Promise<unknown>): Promise<Received>;
  close(): Promise<void>;
}

/**
 * A local HTTP server that keeps every request it gets and answers 403: the ground truth of what a
 * real client (curl, fetch) sends for a command a capture reader reads as text.
 */
export async function startRecordingServer(): Promise<RecordingServer> {
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
    async sentBy(send) {
      received.length = 0;
      await send();
      expect(received).toHaveLength(1);
      return received[0]!;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The recording server of a test file: started before its tests, closed after them. */
export function useRecordingServer(): () => RecordingServer {
  let server: RecordingServer | undefined;
  beforeAll(async () => {
    server = await startRecordingServer();
  });
  afterAll(() => server?.close());
  return () => server!;
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
