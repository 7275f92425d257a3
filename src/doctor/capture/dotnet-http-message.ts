import type { HttpHeader } from "../../signature/index.js";
import {
  CaptureError,
  checkedRequest,
  pairs,
  type CapturedExchange,
  type CapturedResponse,
} from "./exchange.js";

/**
 * .NET's HttpRequestMessage and HttpResponseMessage as their ToString() prints them, which is how
 * PowerShell 7 shows the request behind an error (`$_ | Format-List * -Force`, `$Error[0].TargetObject`)
 * and how .NET programs log a call they make with HttpClient:
 *
 *     Method: GET, RequestUri: 'https://…', Version: 1.1, Content: <null>, Headers:
 *     {
 *       x-ms-version: 2023-11-03
 *     }
 *     StatusCode: 403, ReasonPhrase: '…', Version: 1.1, Content: …, Headers:
 *     { … }
 *
 * In PowerShell's error record the answer is `Response status code does not indicate success: 403 (…)`
 * and the body PowerShell shows as `ErrorDetails`. Format-List cuts long values at the console's width and
 * indents what follows; those cuts are joined back.
 */
const REQUEST_START = /Method: [A-Z]+, RequestUri: '[^']+', Version: [\d.]+/;
const REQUEST =
  /Method: ([A-Z]+), RequestUri: '([^']+)', Version: [\d.]+, Content: [^\n]*?, Headers:\s*\{\n?([^}]*)\}/;
const RESPONSE =
  /StatusCode: (\d{3}), ReasonPhrase: '[^']*', Version: [\d.]+, Content: [^\n]*?, Headers:\s*\{\n?([^}]*)\}/;
const STATUS = /Response status code does not indicate success: (\d{3})\b/;
const FORMAT_LIST_LABEL = /^([A-Za-z]+ *: )/m;

/** Format-List's lines joined back where it cut a value at the width, its value column's indent removed. */
function unwrapFormatList(text: string): string {
  const label = FORMAT_LIST_LABEL.exec(text)?.[1];
  if (!label || !/^(?:TargetObject|ErrorDetails) *: /m.test(text)) return text;
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const indent = " ".repeat(label.length);
  const width = Math.max(...lines.map((l) => l.length));
  const out: string[] = [];
  // Whether the line before ended at the width: then an indented line continues it.
  let cut = false;
  for (const line of lines) {
    const continues = line.startsWith(indent);
    const body = continues ? line.slice(indent.length) : line.replace(FORMAT_LIST_LABEL, "");
    if (continues && cut && out.length > 0) out[out.length - 1] += body;
    else out.push(body);
    cut = line.length === width;
  }
  return out.join("\n");
}

function headersOf(block: string): HttpHeader[] {
  return block
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .flatMap((l) => {
      const colon = l.indexOf(":");
      return colon > 0 ? [{ name: l.slice(0, colon).trim(), value: l.slice(colon + 1).trim() }] : [];
    });
}

/** Whether the text holds an HttpRequestMessage as ToString() prints it (also cut by Format-List). */
export function holdsDotnetHttpRequest(text: string): boolean {
  return text.includes("RequestUri") || /^TargetObject *: /m.test(text)
    ? REQUEST_START.test(unwrapFormatList(text))
    : false;
}

/** The answer: HttpResponseMessage.ToString(), or PowerShell's status line and ErrorDetails. */
export function readDotnetHttpResponse(text: string): CapturedResponse | undefined {
  const t = unwrapFormatList(text);
  const message = RESPONSE.exec(t);
  const statusLine = message ?? STATUS.exec(t);
  if (!statusLine) return undefined;
  const status = Number(statusLine[1]);
  const error = /<Error>[\s\S]*?<\/Error>/.exec(t)?.[0];
  return {
    status,
    headers: message ? headersOf(message[2]!) : [],
    ...(error ? { body: error } : {}),
  };
}

export function parseDotnetHttpMessage(text: string, where: string): CapturedExchange {
  const t = unwrapFormatList(text);
  const m = REQUEST.exec(t);
  if (!m)
    throw new CaptureError(
      `${where}: "Method: …, RequestUri: '…'" is not followed by its ", Headers: { … }" block: give the whole request as printed`,
    );
  const response = readDotnetHttpResponse(t);
  return {
    request: checkedRequest({ method: m[1]!, url: m[2]!, headers: pairs(headersOf(m[3]!)) }, where),
    ...(response ? { response } : {}),
    format: "sdk-log",
  };
}
