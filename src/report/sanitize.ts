import { redactSecrets } from "../redact.js";

/**
 * Log-derived strings are attacker-controlled (user agents, object keys, URIs, activity callers). Every
 * renderer passes them through here: secrets are redacted and control characters (ANSI escapes, CR/LF
 * that would forge report lines) are made visible instead of interpreted.
 */
export function cleanText(value: string): string {
  return redactSecrets(value).replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Escapes a log-derived string for Markdown (CommonMark/GFM and the Teams/Slack dialects): every
 * punctuation character that could open emphasis, code, a link, an image, HTML, a table cell or an
 * autolink (`://`, `www.`) is backslash-escaped, so the text renders literally and never as a link.
 */
export function escapeMarkdown(value: string): string {
  // `@` would start an e-mail autolink, `&` an entity, `:` and `/` a URL autolink; the rest are syntax.
  return cleanText(value).replace(/[\\`*_{}[\]()#+\-.!|<>~:/&@]/g, (c) => `\\${c}`);
}
