import { request as httpRequest, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A pass-through HTTP proxy in front of Azurite's blob endpoint that counts what a client asks for:
 * list calls (`comp=list`), blob downloads and the body bytes they return. Counting on the wire keeps
 * the count honest whatever the SDK does internally (paging, retries, range reads).
 */
export interface RequestCounts {
  listCalls: number;
  /** Body bytes of list responses: grows with what a listing returns. */
  listBytes: number;
  downloads: number;
  downloadBytes: number;
  /** Most downloads that were in flight at once. */
  maxConcurrentDownloads: number;
}

export interface CountingProxy {
  port: number;
  counts: RequestCounts;
  reset(): void;
  /**
   * Holds download responses until `n` downloads are waiting at once (or `maxWaitMs` passed), so a
   * client that downloads in parallel is seen to, whatever the machine's speed; 0 turns it off.
   */
  holdDownloadsUntil(n: number, maxWaitMs?: number): void;
  close(): Promise<void>;
}

export async function startCountingProxy(targetPort: number): Promise<CountingProxy> {
  const counts: RequestCounts = {
    listCalls: 0,
    listBytes: 0,
    downloads: 0,
    downloadBytes: 0,
    maxConcurrentDownloads: 0,
  };
  let inFlight = 0;
  let holdUntil = 0;
  let holdTimer: NodeJS.Timeout | undefined;
  let held: Array<() => void> = [];
  const release = () => {
    clearTimeout(holdTimer);
    holdTimer = undefined;
    const waiting = held;
    held = [];
    holdUntil = 0;
    for (const go of waiting) go();
  };
  let holdMaxWaitMs = 5_000;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const comp = url.searchParams.get("comp");
    const isList = comp === "list";
    const isDownload = req.method === "GET" && comp === null && url.searchParams.get("restype") === null;
    if (isList) counts.listCalls++;
    if (isDownload) {
      counts.downloads++;
      inFlight++;
      counts.maxConcurrentDownloads = Math.max(counts.maxConcurrentDownloads, inFlight);
    }
    const upstream = httpRequest(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        const forward = () => {
          // A download stops counting as in flight before its last byte goes out, so a client that
          // waits for one to finish before the next is never seen overlapping.
          const expected = Number(up.headers["content-length"] ?? NaN);
          let received = 0;
          let finished = false;
          const finish = () => {
            if (isDownload && !finished) inFlight--;
            finished = true;
          };
          if (expected === 0) finish();
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.on("data", (chunk: Buffer) => {
            received += chunk.length;
            if (isDownload) counts.downloadBytes += chunk.length;
            if (isList) counts.listBytes += chunk.length;
            if (received >= expected) finish();
          });
          up.on("end", finish);
          up.pipe(res);
        };
        if (isDownload && holdUntil > 0) {
          held.push(forward);
          holdTimer ??= setTimeout(release, holdMaxWaitMs);
          if (held.length >= holdUntil) release();
        } else forward();
      },
    );
    upstream.on("error", (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    counts,
    reset: () =>
      Object.assign(counts, {
        listCalls: 0,
        listBytes: 0,
        downloads: 0,
        downloadBytes: 0,
        maxConcurrentDownloads: 0,
      }),
    holdDownloadsUntil: (n, maxWaitMs = 5_000) => {
      holdUntil = n;
      holdMaxWaitMs = maxWaitMs;
    },
    close: () =>
      new Promise<void>((resolve) => {
        release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
