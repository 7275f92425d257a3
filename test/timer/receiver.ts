import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local webhook endpoint on 127.0.0.1 that records every request and answers according to a script
 * (status, headers, delay, or dropping the connection), so delivery faults are real HTTP behaviour.
 */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Runs before answering (e.g. to stop a dependency mid-run). */
  before?: () => Promise<void>;
}

export interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
  /** Status answered (undefined when dropped or timed out client-side). */
  status?: number;
  at: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Replies used in order for the next requests; afterwards `fallback`. */
  script: Reply[];
  fallback: Reply;
  /** Requests answered 2xx, per idempotency key. */
  accepted(): Map<string, number>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0, path = "/hook"): Promise<Receiver> {
  const received: Received[] = [];
  const r: Partial<Receiver> = { received, script: [], fallback: { status: 202 } };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = r.script!.shift() ?? r.fallback!;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        body = Buffer.concat(chunks).toString("utf8");
      }
      const entry: Received = { path: req.url ?? "", headers: req.headers, body, at: Date.now() };
      received.push(entry);
      const answer = () => {
        if (reply.drop) {
          req.socket.destroy();
          return;
        }
        if (res.destroyed) return;
        entry.status = reply.status ?? 202;
        res.writeHead(entry.status, reply.headers ?? {});
        res.end(reply.body ?? "");
      };
      const go = () => (reply.delayMs ? setTimeout(answer, reply.delayMs) : answer());
      if (reply.before) void reply.before().then(go, go);
      else go();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  return Object.assign(r, {
    port: actual,
    url: `http://127.0.0.1:${actual}${path}`,
    accepted() {
      const m = new Map<string, number>();
      for (const x of received) {
        if (x.status === undefined || x.status < 200 || x.status >= 300) continue;
        const key = String(x.headers["idempotency-key"]);
        m.set(key, (m.get(key) ?? 0) + 1);
      }
      return m;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as Receiver;
}
