/**
 * Escaping for text that goes into Adaptive Card TextBlocks and FactSets, which Teams renders with a
 * Markdown subset. Log-derived strings (user agents, URIs, object keys, account names, activity
 * summaries) are attacker-controlled: they must not create links, emphasis, lists, mentions or
 * date/time functions, and must not break onto new lines.
 */
const MARKUP = /[\\`*_[\]()<>#~|{}!]/g;

export function escapeCardMarkdown(text: string): string {
  let s = text
    // One line: a newline could start a list item or heading.
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ")
    .replace(MARKUP, "\\$&")
    // Bare URLs are auto-linked by Teams; a zero-width space after the scheme keeps them inert.
    .replace(/([a-z][a-z0-9+.-]*):\/\//gi, "$1:\u200b//")
    // "www." is auto-linked too.
    .replace(/\bwww\./gi, "www\u200b.");
  // A leading list marker ("- ", "+ ", "1. ") would render as a list.
  s = s.replace(/^(\s*)([-+])(\s)/, "$1\\$2$3").replace(/^(\s*\d+)\.(\s)/, "$1\\.$2");
  return s;
}

/** Shortens to at most `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, Math.max(0, max - 1)) + "…";
}
