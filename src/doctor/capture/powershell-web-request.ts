import { CaptureError, checkedRequest, type CapturedExchange } from "./exchange.js";

/**
 * A PowerShell `Invoke-WebRequest` (or `Invoke-RestMethod`) call: what a browser's "Copy as
 * PowerShell" gives (a `$session.UserAgent` line, then `-Uri`, `-Method`, `-Headers @{…}`,
 * `-ContentType`, `-Body`, lines ended by a backtick), or a script's call. Strings are read as
 * PowerShell reads them: double quotes with backtick escapes and `$([char]N)`, single quotes with `''`.
 * It holds the request only; the answer comes with --response.
 */
export const POWERSHELL_WEB_REQUEST =
  /(?:^|[\s;|(])(?:(?:Invoke-WebRequest|Invoke-RestMethod|iwr|irm)\s+-|(?:curl|wget)\s+(?=[^\n]*\s-(?:Uri|Method|Headers|Body|ContentType|UseBasicParsing)\b))/im;

/**
 * The call: the cmdlet or its alias; else Windows PowerShell 5.1's `curl` or `wget`, aliases of
 * Invoke-WebRequest there (told from the real curl by PowerShell's parameters, as POWERSHELL_WEB_REQUEST
 * does; `curl.exe` is always the real one).
 */
const CALL = /(?:^|[\s;|(])(?:Invoke-WebRequest|Invoke-RestMethod|iwr|irm)(?=\s)/im;
const ALIAS_CALL = /(?:^|[\s;|(])(?:curl|wget)(?=\s)/im;
const USER_AGENT = /\$\w+\.UserAgent\s*=\s*/;

export function parsePowerShellWebRequest(text: string, where: string): CapturedExchange {
  // A backtick at a line's end continues the command.
  const src = text.replace(/`\r?\n/g, " ");
  const call = CALL.exec(src) ?? ALIAS_CALL.exec(src);
  if (!call) throw new CaptureError(`${where}: no Invoke-WebRequest call`);
  const headers: Array<[string, string]> = [];
  const agent = USER_AGENT.exec(src.slice(0, call.index + 1));
  if (agent) headers.push(["User-Agent", new Reader(src, agent.index + agent[0].length, where).value()]);
  const r = new Reader(src, call.index + call[0].length, where);
  let url: string | undefined;
  let method = "GET";
  let body: string | undefined;
  for (;;) {
    r.skipSpace();
    if (r.atEnd() || r.peek() === "\n" || r.peek() === ";" || r.peek() === "|") break;
    const param = r.parameter();
    switch (param.toLowerCase()) {
      case "uri":
        url = r.value();
        break;
      case "method":
        method = r.value().toUpperCase();
        break;
      case "headers":
        for (const [name, value] of r.hashtable()) headers.push([name, value]);
        break;
      case "contenttype":
        headers.push(["Content-Type", r.value()]);
        break;
      case "useragent":
        headers.push(["User-Agent", r.value()]);
        break;
      case "body":
        body = r.body();
        break;
      case "websession":
      case "timeoutsec":
      case "outfile":
      case "maximumredirection":
        r.value();
        break;
      default:
        // A switch (-UseBasicParsing, -SkipCertificateCheck…): no value.
        break;
    }
  }
  if (url === undefined) throw new CaptureError(`${where}: the Invoke-WebRequest call has no -Uri`);
  return { request: checkedRequest({ method, url, headers, body }, where), format: "powershell-web-request" };
}

/** A cursor over the command's text that reads PowerShell's words, strings and hashtables. */
class Reader {
  constructor(
    private readonly s: string,
    private i: number,
    private readonly where: string,
  ) {}

  atEnd(): boolean {
    return this.i >= this.s.length;
  }

  peek(): string {
    return this.s[this.i] ?? "";
  }

  skipSpace(): void {
    while (this.peek() === " " || this.peek() === "\t" || this.peek() === "\r") this.i++;
  }

  private fail(what: string): never {
    throw new CaptureError(`${this.where}: ${what} (at character ${this.i + 1} of the command)`);
  }

  parameter(): string {
    if (this.peek() !== "-") this.fail("expected a -Parameter");
    const m = /^-([A-Za-z]+):?/.exec(this.s.slice(this.i));
    if (!m) this.fail("expected a -Parameter");
    this.i += m[0].length;
    return m[1]!;
  }

  /** A string, or a bare word (an unquoted URL or method). */
  value(): string {
    this.skipSpace();
    const c = this.peek();
    if (c === '"' || c === "'") return this.quoted(c);
    const m = /^[^\s;|`()]+/.exec(this.s.slice(this.i));
    if (!m) this.fail("expected a value");
    this.i += m[0].length;
    return m[0];
  }

  /** `-Body "…"`, or Chrome's `-Body ([System.Text.Encoding]::UTF8.GetBytes("…"))`. */
  body(): string {
    this.skipSpace();
    const bytes = /^\(\s*\[System\.Text\.Encoding\]::UTF8\.GetBytes\(\s*/i.exec(this.s.slice(this.i));
    if (!bytes) return this.value();
    this.i += bytes[0].length;
    const v = this.value();
    const close = /^\s*\)\s*\)/.exec(this.s.slice(this.i));
    if (!close) this.fail("the body's GetBytes( … ) is not closed");
    this.i += close[0].length;
    return v;
  }

  /** `@{ "name"="value" … }`, pairs on lines or separated by `;`. */
  hashtable(): Array<[string, string]> {
    this.skipSpace();
    if (!this.s.startsWith("@{", this.i)) this.fail("expected @{ for -Headers");
    this.i += 2;
    const pairs: Array<[string, string]> = [];
    for (;;) {
      while (/[\s;]/.test(this.peek())) this.i++;
      if (this.atEnd()) this.fail("the -Headers table is not closed");
      if (this.peek() === "}") {
        this.i++;
        return pairs;
      }
      const name = this.value();
      this.skipSpace();
      if (this.peek() !== "=") this.fail(`expected = after header ${JSON.stringify(name)}`);
      this.i++;
      pairs.push([name, this.value()]);
    }
  }

  /**
   * A quoted string: a doubled quote inside is one quote; in double quotes (expandable strings) a
   * backtick escapes and `$([char]N)` is that character, in single quotes every other character is
   * itself.
   */
  private quoted(quote: '"' | "'"): string {
    const expandable = quote === '"';
    let out = "";
    for (this.i++; !this.atEnd(); this.i++) {
      const c = this.peek();
      if (c === quote) {
        if (this.s[this.i + 1] === quote) {
          out += quote;
          this.i++;
          continue;
        }
        this.i++;
        return out;
      }
      if (expandable && c === "`") {
        const e = this.s[++this.i] ?? "";
        out += ESCAPES[e] ?? e;
        continue;
      }
      if (expandable && c === "$") {
        const char = /^\$\(\[char\](\d+)\)/i.exec(this.s.slice(this.i));
        if (char) {
          out += String.fromCharCode(Number(char[1]));
          this.i += char[0].length - 1;
          continue;
        }
      }
      out += c;
    }
    this.fail(`a ${expandable ? "double" : "single"} quote is not closed`);
  }
}

/** PowerShell's backtick escapes in double-quoted strings; any other character stands for itself. */
const ESCAPES: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  "0": "\0",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  e: "\x1b",
};
