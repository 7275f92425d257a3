import { CaptureError } from "./exchange.js";
import { rawSessionText } from "./raw-http.js";
import { zipEntries } from "./zip-entries.js";

/**
 * Fiddler's session archive (`.saz`, Fiddler Classic and Fiddler Everywhere): a zip holding each session
 * as `raw/<n>_c.txt` (the request as sent, its first line with the absolute URL) and `raw/<n>_s.txt` (the
 * response as received), beside `raw/<n>_m.xml` (timers and flags, not read). Each session becomes the raw
 * text of the request followed by its response (raw-http.ts reads that), in session order. A CONNECT is
 * only the tunnel Fiddler opened to decrypt HTTPS: left out, the call inside it is its own session.
 */

const SESSION_FILE = /^raw\/(\d+)_([cs])\.txt$/i;

function isFiddlerArchive(names: readonly string[]): boolean {
  return names.some((n) => SESSION_FILE.test(n));
}

export interface SazSession {
  /** Fiddler's session number. */
  number: number;
  text: string;
}

export function sazSessions(bytes: Buffer, where: string): SazSession[] {
  const entries = zipEntries(bytes, where);
  if (!isFiddlerArchive(entries.map((e) => e.name)))
    throw new CaptureError(
      `${where}: a zip archive, but not Fiddler's session archive (no raw/<n>_c.txt); give the capture itself (a .saz, a HAR, raw HTTP text)`,
    );
  const byNumber = new Map<number, { request?: string; response?: string }>();
  for (const e of entries) {
    const m = SESSION_FILE.exec(e.name);
    if (!m) continue;
    const n = Number(m[1]);
    const session = byNumber.get(n) ?? {};
    if (m[2]!.toLowerCase() === "c") session.request = e.data.toString("utf8");
    else session.response = e.data.toString("utf8");
    byNumber.set(n, session);
  }
  const sessions: SazSession[] = [];
  for (const [number, s] of [...byNumber].sort((a, b) => a[0] - b[0])) {
    if (s.request === undefined || /^CONNECT\s/i.test(s.request)) continue;
    sessions.push({ number, text: rawSessionText(s.request, s.response) });
  }
  if (sessions.length === 0)
    throw new CaptureError(
      `${where}: the session archive holds no request but CONNECT tunnels; decrypt HTTPS in Fiddler (Tools > Options > HTTPS) and capture again`,
    );
  return sessions;
}
