import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for the Teams Workflows trigger (and a generic webhook) on 127.0.0.1, for the local stack:
 * it answers 202 like Workflows does and prints a readable rendering of each card, so you see what the
 * channel would show without a tenant.
 */
export const LOCAL_TEAMS_PATH = "/workflows/local/triggers/manual/paths/invoke";
export const LOCAL_WEBHOOK_PATH = "/webhook";

export interface ReceivedNotification {
  channel: "teams" | "webhook";
  idempotencyKey: string | undefined;
  body: unknown;
}

export interface LocalWebhookReceiver {
  teamsUrl: string;
  webhookUrl: string;
  received: ReceivedNotification[];
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

export async function startLocalWebhookReceiver(
  print: (text: string) => void,
  port = 0,
): Promise<LocalWebhookReceiver> {
  const received: ReceivedNotification[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0];
      const channel =
        path === LOCAL_TEAMS_PATH ? "teams" : path === LOCAL_WEBHOOK_PATH ? "webhook" : undefined;
      if (req.method !== "POST" || !channel) {
        res.writeHead(404).end();
        return;
      }
      if (size > MAX_BODY) {
        res.writeHead(413).end("Request Entity Too Large");
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400).end("body is not JSON");
        return;
      }
      const key = req.headers["idempotency-key"];
      received.push({ channel, idempotencyKey: typeof key === "string" ? key : undefined, body });
      print(channel === "teams" ? renderTeamsEnvelope(body, size) : renderWebhook(body));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    teamsUrl: `http://127.0.0.1:${actual}${LOCAL_TEAMS_PATH}`,
    webhookUrl: `http://127.0.0.1:${actual}${LOCAL_WEBHOOK_PATH}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Undo the card's Markdown escaping for a terminal, and strip control characters (log-derived text). */
function plain(s: unknown): string {
  return (
    String(s ?? "")
      .replace(/\\([\\`*_[\]()<>#~|{}!.+-])/g, "$1")
      .replace(/\u200b/g, "")
      // eslint-disable-next-line no-control-regex -- terminal escape sequences must not reach the console
      .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, " ")
  );
}

function renderElements(items: unknown[], out: string[], indent = ""): void {
  for (const raw of items) {
    const el = raw as {
      type?: string;
      text?: string;
      weight?: string;
      facts?: Array<{ title: string; value: string }>;
      items?: unknown[];
    };
    if (el.type === "TextBlock") {
      const lines = plain(el.text).split("\n");
      const bold = el.weight === "Bolder";
      for (const l of lines) out.push(indent + (bold ? `== ${l} ==` : l));
    } else if (el.type === "FactSet") {
      for (const f of el.facts ?? []) out.push(`${indent}${plain(f.title).padEnd(14)} ${plain(f.value)}`);
    } else if (el.type === "Container" && el.items) {
      renderElements(el.items, out, indent);
    }
  }
}

export function renderTeamsEnvelope(body: unknown, bytes: number): string {
  const card = (
    body as { attachments?: Array<{ content?: { body?: unknown[]; actions?: Array<{ url?: string }> } }> }
  )?.attachments?.[0]?.content;
  const out = [`──── Teams card (${(bytes / 1024).toFixed(1)} KB) ────`];
  if (!card?.body) {
    out.push("(not an Adaptive Card envelope)");
  } else {
    renderElements(card.body, out);
    for (const raw of card.actions ?? []) {
      const a = raw as { url?: string; title?: string; card?: { body?: unknown[] } };
      // Show-cards hold the details a phone hides at first; the console shows them indented.
      if (a.card?.body) {
        out.push(`[${plain(a.title)}]`);
        renderElements(a.card.body, out, "  ");
      }
      if (a.url) out.push(`[Open in dashboard] ${a.url}`);
    }
  }
  return out.join("\n") + "\n";
}

function renderWebhook(body: unknown): string {
  const b = body as {
    schemaVersion?: string;
    notification?: { id?: string; reason?: string };
    incident?: { id?: string; account?: string; errorCode?: string; count?: number };
  };
  return (
    `──── webhook v${plain(b.schemaVersion)}: ${plain(b.notification?.reason)} ${plain(b.notification?.id)} ` +
    `(${plain(b.incident?.account)} ${plain(b.incident?.errorCode)}, ${plain(b.incident?.count)} failures)\n`
  );
}
