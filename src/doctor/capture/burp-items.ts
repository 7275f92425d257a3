import { decodeBase64Utf8 } from "../base64.js";
import { rawSessionText } from "./raw-http.js";

/**
 * Burp Suite's saved items ("Save items" on the proxy history or a selection): XML of `<item>`s, each
 * with the request and response as sent and received, base64-encoded (`base64="true"`) or as text, and
 * the item's `<protocol>`. Each item becomes the raw text of its request followed by its response
 * (raw-http.ts reads that; a request line with a path takes its host from `Host:`), in file order.
 * Pasted text, so it is read in the dashboard's page too (no Node Buffer).
 */

const ITEMS = /<items\s[^>]*burpVersion=/;
const ITEM = /<item>([\s\S]*?)<\/item>/g;

/** Whether pasted text is Burp's saved items (its root element names the Burp version). */
export function isBurpItems(text: string): boolean {
  return ITEMS.test(text.slice(0, 8192));
}

/** The text of one element of an item: CDATA or plain, decoded from base64 when it says so. */
function element(item: string, name: string): string | undefined {
  const m = new RegExp(
    `<${name}(?:\\s+base64="(true|false)")?\\s*>(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</${name}>`,
  ).exec(item);
  if (!m) return undefined;
  const raw = m[2] ?? m[3] ?? "";
  return m[1] === "true" ? decodeBase64Utf8(raw) : raw;
}

export interface BurpItem {
  /** Its place in the file, from 1. */
  number: number;
  text: string;
}

/** Each saved item as a raw session: the request, then its response when Burp recorded one. */
export function burpItems(text: string): BurpItem[] {
  const items: BurpItem[] = [];
  let number = 0;
  for (const m of text.matchAll(ITEM)) {
    number++;
    const request = element(m[1]!, "request");
    // An item whose request is empty, or line breaks only, holds no call.
    if (!request || /^(\r?\n)*$/.test(request)) continue;
    items.push({ number, text: rawSessionText(request, element(m[1]!, "response")) });
  }
  return items;
}
