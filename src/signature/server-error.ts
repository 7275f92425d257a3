/**
 * Reads what a user pastes as "the server's answer": the XML error body, a Table JSON error, the bare
 * AuthenticationErrorDetail ("… Server used following string to sign: '…'."), an Azurite debug-log line
 * (`[STRING TO SIGN]:"…"`), or just the string-to-sign, with real newlines or literal `\n` escapes.
 *
 * Pure. The echoed MAC in the detail is redacted before anything is kept.
 */
import { redactSecrets } from "../redact.js";

export interface ServerAuthError {
  /** The server's string-to-sign with real newlines; undefined when the text holds none. */
  stringToSign?: string;
  errorCode?: string;
  requestId?: string;
  /** ISO time from the message's "Time:" line: when the server rejected the request. */
  time?: string;
  /** AuthenticationErrorDetail, MAC redacted, string-to-sign left out (it is reported field by field). */
  detail?: string;
  /** The date quoted by "Request date header too old: '…'". */
  staleDate?: string;
  /** What the text looked like. */
  shape: "xml" | "json" | "detail" | "azurite-log" | "string";
}

const STRING_TO_SIGN_MARKER = "Server used following string to sign: '";
const AZURITE_MARKER = /\[STRING TO SIGN(?:_secondary)?\]:("(?:[^"\\]|\\.)*")/;

/** XML text as written (entities, character references) back to the characters it stands for. */
export function xmlUnescape(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

function xmlElement(text: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text);
  return m ? xmlUnescape(m[1]!) : undefined;
}

/**
 * Restores newlines: pasted from JSON, a log or a terminal, the string often carries literal `\n`
 * escapes instead of line breaks. Real newlines win when both appear; CRLF from a Windows paste
 * becomes LF (the service's string never contains CR).
 */
export function restoreNewlines(s: string): string {
  const unified = s.replace(/\r\n/g, "\n");
  if (unified.includes("\n")) return unified;
  return unified.replace(/\\r\\n|\\n/g, "\n");
}

function findJsonErrorMessage(data: unknown): { code?: string; message?: string } {
  if (typeof data !== "object" || data === null) return {};
  const record = data as Record<string, unknown>;
  const err = (record["odata.error"] ?? record["error"] ?? record) as Record<string, unknown>;
  const code = typeof err["code"] === "string" ? err["code"] : undefined;
  const rawMessage = err["message"];
  const message =
    typeof rawMessage === "string"
      ? rawMessage
      : typeof rawMessage === "object" &&
          rawMessage !== null &&
          typeof (rawMessage as { value?: unknown }).value === "string"
        ? (rawMessage as { value: string }).value
        : undefined;
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
}

/** Parses a pasted server error or string-to-sign. Never throws; an empty text yields `{shape: "string"}`. */
export function parseServerAuthError(input: string): ServerAuthError {
  let text = input.replace(/^\uFEFF/, "").trim();
  // A JSON string literal (copied from a log or a debugger): unwrap it once.
  if (/^"[\s\S]*"$/.test(text)) {
    try {
      const inner: unknown = JSON.parse(text);
      if (typeof inner === "string") text = inner;
    } catch {
      // Not a JSON literal after all: keep the text as pasted.
    }
  }

  const azurite = AZURITE_MARKER.exec(text);
  if (azurite) {
    return { stringToSign: JSON.parse(azurite[1]!) as string, shape: "azurite-log" };
  }

  let shape: ServerAuthError["shape"] = "string";
  let errorCode: string | undefined;
  let message: string | undefined;
  let detail: string | undefined;
  if (/<Error>|<AuthenticationErrorDetail>|<Code>/.test(text)) {
    shape = "xml";
    errorCode = xmlElement(text, "Code")?.trim();
    message = xmlElement(text, "Message");
    detail = xmlElement(text, "AuthenticationErrorDetail");
  } else if (text.startsWith("{")) {
    try {
      const found = findJsonErrorMessage(JSON.parse(text));
      shape = "json";
      errorCode = found.code;
      message = found.message;
      detail = found.message;
    } catch {
      // Not JSON: fall through to the plain-text forms.
    }
  }
  if (
    shape === "string" &&
    (text.includes(STRING_TO_SIGN_MARKER) || /Request date header too old/.test(text))
  ) {
    shape = "detail";
    detail = text;
  }

  const haystack = detail ?? text;
  const result: ServerAuthError = { shape };
  if (errorCode) result.errorCode = errorCode;
  const about = `${message ?? ""}\n${text}`;
  const requestId = /RequestId:\s*([0-9a-fA-F-]{36})/.exec(about)?.[1];
  if (requestId) result.requestId = requestId;
  const time = /Time:\s*(\d{4}-\d{2}-\d{2}T[0-9:.]+Z)/.exec(about)?.[1];
  if (time) result.time = time;
  const stale = /Request date header too old: '([^']*)'/.exec(haystack)?.[1];
  if (stale) result.staleDate = stale;

  const start = haystack.indexOf(STRING_TO_SIGN_MARKER);
  if (start >= 0) {
    const from = start + STRING_TO_SIGN_MARKER.length;
    // The string itself may contain quotes (Table keys): it ends at the last quote of the detail.
    const end = haystack.lastIndexOf("'");
    result.stringToSign = restoreNewlines(haystack.slice(from, end > from ? end : undefined));
    const before = haystack.slice(0, start).trim();
    result.detail = redactSecrets(
      `${before}${before ? " " : ""}Server used following string to sign: (shown field by field).`,
    );
  } else if (shape === "string") {
    result.stringToSign = restoreNewlines(text.replace(/^'([\s\S]*)'\.?$/, "$1"));
  } else if (detail) {
    result.detail = redactSecrets(detail.trim());
  }
  return result;
}
