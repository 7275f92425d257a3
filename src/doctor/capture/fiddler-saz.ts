import type { CaptureSessions } from "../capture.js";
import { CaptureError } from "./exchange.js";
import { rawSessionText } from "./raw-http.js";
import { zipEntries, type RawInflater } from "./zip-entries.js";

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

const utf8 = new TextDecoder("utf-8");

/** The archive's sessions; `inflateRaw` is node:zlib's in the CLI, the browser's in the page. */
export async function sazSessions(
  bytes: Uint8Array,
  where: string,
  inflateRaw: RawInflater,
): Promise<SazSession[]> {
  const entries = await zipEntries(bytes, where, inflateRaw);
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
    if (m[2]!.toLowerCase() === "c") session.request = utf8.decode(e.data);
    else session.response = utf8.decode(e.data);
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

/** The archive as the doctor reads a capture of several sessions, each labelled by Fiddler's number. */
export async function sazCapture(
  bytes: Uint8Array,
  where: string,
  inflateRaw: RawInflater,
): Promise<CaptureSessions> {
  const sessions = await sazSessions(bytes, where, inflateRaw);
  return { sessions: sessions.map((s) => ({ text: s.text, label: `session ${s.number}` })) };
}
