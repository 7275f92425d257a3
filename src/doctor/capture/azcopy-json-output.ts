/**
 * AzCopy's `--output-type json`: one JSON object a line, `{"TimeStamp":…,"MessageType":"Info"|"Error"|
 * "EndOfJob"|…,"MessageContent":"…"}`. The refused call is the Go SDK's error text inside an Info or Error
 * message (the same text AzCopy prints on a terminal: `RESPONSE 403: …`, or `===== RESPONSE ERROR` before
 * 10.19). AzCopy 10.32 leaves the URL's query out of that text and out of the EndOfJob message's
 * failed transfers; 10.14 shows it in both, its signature redacted.
 */
export const AZCOPY_JSON_OUTPUT = /^\{"TimeStamp":"[^"]*","MessageType":"/;

const SDK_ERROR = /RESPONSE \d{3}:|===== RESPONSE ERROR \(/;

/** The message that holds the SDK's error text, as AzCopy would print it on a terminal, or undefined. */
export function azCopyJsonErrorText(text: string): string | undefined {
  const messages: Array<{ type: string; content: string }> = [];
  for (const line of text.split("\n")) {
    if (!AZCOPY_JSON_OUTPUT.test(line.trim())) continue;
    try {
      const m = JSON.parse(line) as { MessageType?: unknown; MessageContent?: unknown };
      if (typeof m.MessageType === "string" && typeof m.MessageContent === "string")
        messages.push({ type: m.MessageType, content: m.MessageContent });
    } catch {
      // a line cut off in the paste: the others still tell
    }
  }
  return (messages.findLast((m) => SDK_ERROR.test(m.content)) ?? messages.findLast((m) => m.type === "Error"))
    ?.content;
}
