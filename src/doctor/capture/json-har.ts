import { parseRequestJson } from "../../signature/index.js";
import { isRestErrorJson, parseRestErrorJson } from "./rest-error-json.js";
import {
  CaptureError,
  headersFromUnknown,
  withoutFormat,
  type CapturedExchange,
  type CapturedResponse,
} from "./exchange.js";

/** A response as JSON: {status|statusCode, headers, body}, or a HAR response ({content: {text}}). */
export function responseFromJson(obj: Record<string, unknown>, where: string): CapturedResponse {
  const status = obj["status"] ?? obj["statusCode"];
  let body: string | undefined;
  const content = obj["content"];
  if (typeof obj["body"] === "string") body = obj["body"];
  else if (
    content &&
    typeof content === "object" &&
    typeof (content as { text?: unknown }).text === "string"
  ) {
    const { text, encoding } = content as { text: string; encoding?: unknown };
    // HAR writers (Firefox, Charles, Fiddler) may keep a body in base64, saying so in `encoding`.
    body = encoding === "base64" ? fromBase64(text, where) : text;
  }
  return {
    status: typeof status === "number" ? status : status ? Number(status) : undefined,
    headers: headersFromUnknown(obj["headers"], where),
    body,
  };
}

/** A HAR body kept in base64, as UTF-8 text (atob and TextDecoder: this also runs in the dashboard's page). */
function fromBase64(text: string, where: string): string {
  try {
    const binary = atob(text.replace(/\s+/g, ""));
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    throw new CaptureError(`${where}: the response's content says base64 but is not base64`);
  }
}

function harEntry(doc: Record<string, unknown>, where: string): Record<string, unknown> | undefined {
  const log = doc["log"] as { entries?: unknown } | undefined;
  if (log && Array.isArray(log.entries)) {
    // The storage call that failed is the one worth diagnosing: prefer the first 4xx entry.
    const entries = log.entries as Array<Record<string, unknown>>;
    if (entries.length === 0) throw new CaptureError(`${where}: the HAR file has no entries`);
    const failed = entries.find((e) => {
      const s = (e["response"] as { status?: number } | undefined)?.status;
      return typeof s === "number" && s >= 400;
    });
    return failed ?? entries[0];
  }
  if (doc["request"] && typeof doc["request"] === "object") return doc;
  return undefined;
}

/**
 * A request as JSON ({method, url, headers[, body][, response]}), a HAR file or entry (its failed entry),
 * or the JavaScript SDK's RestError as JSON (Storage Explorer's error details).
 */
export function parseJsonCapture(text: string, where: string): CapturedExchange {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CaptureError(`${where}: looks like JSON but does not parse (${(err as Error).message})`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    throw new CaptureError(`${where}: expected a JSON object`);
  if (isRestErrorJson(doc as Record<string, unknown>))
    return parseRestErrorJson(doc as Record<string, unknown>, where);
  const entry = harEntry(doc as Record<string, unknown>, where) ?? (doc as Record<string, unknown>);
  const res = entry["response"];
  const request = parseRequestJson(
    JSON.stringify(entry["request"] ? { request: entry["request"] } : entry),
    where,
  );
  return {
    request: withoutFormat(request),
    response:
      res && typeof res === "object"
        ? responseFromJson(res as Record<string, unknown>, `${where} (response)`)
        : undefined,
    format: request.format,
  };
}
