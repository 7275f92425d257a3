import { CaptureError, checkedRequest, type CapturedExchange } from "./exchange.js";

/**
 * A curl command line: what a browser's "Copy as cURL" gives (bash, or cmd with `^` escapes), or a
 * command from a script or a terminal (PowerShell's backtick line ends too). It holds the request only;
 * the answer comes with --response, or from `curl -v` output, which is read instead when pasted with it.
 */
export const CURL_COMMAND = /^(?:\$\s*)?curl(?:\.exe)?\s/;

/** Options whose value is the next word, and what the request takes from each. */
const HEADER_OPTIONS = new Set(["-H", "--header"]);
const METHOD_OPTIONS = new Set(["-X", "--request"]);
const DATA_OPTIONS = new Set(["-d", "--data", "--data-raw", "--data-binary", "--data-ascii"]);
/** Short options that take a value, which may be attached (`-XPUT`, `-H'x: y'`) or the next word. */
const SHORT_WITH_VALUE = new Set("XHdAobcemxUwrTu");
/** Other options with a value: read past, as they change nothing Storage judges. */
const VALUE_OPTIONS = new Set([
  "-o",
  "--output",
  "-b",
  "--cookie",
  "-c",
  "--cookie-jar",
  "-e",
  "--referer",
  "-m",
  "--max-time",
  "--connect-timeout",
  "-x",
  "--proxy",
  "-U",
  "--proxy-user",
  "-w",
  "--write-out",
  "--retry",
  "-r",
  "--range",
  "--cacert",
  "--cert",
  "--key",
  "-T",
  "--upload-file",
  "-u",
  "--user",
]);

export function parseCurlCommand(text: string, where: string): CapturedExchange {
  const words = optionWords(shellWords(text.replace(/^\$\s*/, ""), where));
  let method: string | undefined;
  let url: string | undefined;
  let body: string | undefined;
  let uploads = false;
  let get = false;
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    const next = (): string => {
      const v = words[++i];
      if (v === undefined) throw new CaptureError(`${where}: curl option ${w} has no value`);
      return v;
    };
    if (HEADER_OPTIONS.has(w)) {
      const h = next();
      const colon = h.indexOf(":");
      // `-H 'Name;'` sends an empty header; `-H 'Name:'` removes one curl would add.
      if (colon > 0 && h.slice(colon + 1).trim())
        headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
    } else if (METHOD_OPTIONS.has(w)) method = next().toUpperCase();
    else if (DATA_OPTIONS.has(w)) body = (body === undefined ? "" : body + "&") + next();
    else if (w === "--data-urlencode") body = (body === undefined ? "" : body + "&") + urlEncodedData(next());
    else if (w === "-G" || w === "--get") get = true;
    else if (w === "-A" || w === "--user-agent") headers.push(["User-Agent", next()]);
    else if (w === "--oauth2-bearer") headers.push(["Authorization", `Bearer ${next()}`]);
    else if (w === "--url") url = next();
    else if (w === "-I" || w === "--head") method = "HEAD";
    else if (w === "-T" || w === "--upload-file") {
      uploads = true;
      next();
    } else if (VALUE_OPTIONS.has(w)) next();
    else if (!w.startsWith("-") && url === undefined) url = w;
  }
  if (url === undefined) throw new CaptureError(`${where}: the curl command names no URL`);
  // -G sends the data as the URL's query, with GET.
  if (get && body !== undefined) {
    url += (url.includes("?") ? "&" : "?") + body;
    body = undefined;
  }
  // curl's own choice when no -X: POST with data, PUT with -T.
  method ??= uploads ? "PUT" : body !== undefined ? "POST" : "GET";
  return { request: checkedRequest({ method, url, headers, body }, where), format: "curl-command" };
}

/**
 * Short options as one word each, their values as the next: `-XPUT` → `-X PUT`, `-sSX PUT` →
 * `-s -S -X PUT` (curl takes no `--long=value`). Other words pass unchanged.
 */
function optionWords(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    if (/^-[A-Za-z]{2}/.test(w)) {
      for (let k = 1; k < w.length; k++) {
        out.push(`-${w[k]}`);
        if (SHORT_WITH_VALUE.has(w[k]!)) {
          if (k + 1 < w.length) out.push(w.slice(k + 1));
          break;
        }
      }
    } else out.push(w);
  }
  return out;
}

/**
 * `--data-urlencode` as curl 7.88 sends it: `content` and `=content` encoded whole, `name=content` with
 * the content encoded; a space as `+`, every other byte but letters, digits and `-._~` as `%xx` (other
 * versions may write `%20` and capitals). `@file` forms name a file the capture does not hold: as written.
 */
function urlEncodedData(arg: string): string {
  const encode = (v: string) =>
    [...new TextEncoder().encode(v)]
      .map((b) => {
        const c = String.fromCharCode(b);
        if (c === " ") return "+";
        return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).padStart(2, "0")}`;
      })
      .join("");
  const eq = arg.indexOf("=");
  if (eq === 0) return encode(arg.slice(1));
  if (eq > 0) return `${arg.slice(0, eq)}=${encode(arg.slice(eq + 1))}`;
  return arg.includes("@") ? arg : encode(arg);
}

/**
 * The words of a command as bash (or cmd, for a Windows "Copy as cURL") would pass them: quotes,
 * escapes and line continuations removed.
 */
function shellWords(text: string, where: string): string[] {
  // cmd: `^` escapes the next character, and `^` at a line's end continues it.
  const cmd = /\^"|\^\r?\n/.test(text);
  const src = cmd ? text.replace(/\^\r?\n/g, " ").replace(/\^(.)/g, "$1") : text;
  const words: string[] = [];
  let word: string | undefined;
  const add = (s: string) => (word = (word ?? "") + s);
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\\" && !cmd && (src[i + 1] === "\n" || (src[i + 1] === "\r" && src[i + 2] === "\n"))) {
      i += src[i + 1] === "\r" ? 2 : 1;
    } else if (c === "`" && /^\r?\n/.test(src.slice(i + 1, i + 3))) {
      // PowerShell's line continuation.
      i += src[i + 1] === "\r" ? 2 : 1;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" && !cmd) {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new CaptureError(`${where}: a single quote is not closed`);
      add(src.slice(i + 1, end));
      i = end;
    } else if (c === "$" && src[i + 1] === "'" && !cmd) {
      const [text, end] = ansiCString(src, i + 2, where);
      add(text);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      for (; j < src.length && src[j] !== '"'; j++) {
        if (src[j] === "\\" && /["\\$`]/.test(src[j + 1] ?? "")) s += src[++j];
        else s += src[j];
      }
      if (j >= src.length) throw new CaptureError(`${where}: a double quote is not closed`);
      add(s);
      i = j;
    } else if (c === "\\" && !cmd && i + 1 < src.length) {
      add(src[++i]!);
    } else add(c);
  }
  if (word !== undefined) words.push(word);
  return words;
}

const ANSI_C_ESCAPES: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "0": "\0",
};

/** bash's `$'…'`, as Chrome writes a body with line breaks or quotes: the escapes decoded. */
function ansiCString(src: string, from: number, where: string): [string, number] {
  let out = "";
  for (let i = from; i < src.length; i++) {
    const c = src[i]!;
    if (c === "'") return [out, i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = src[++i];
    if (e !== undefined && e in ANSI_C_ESCAPES) out += ANSI_C_ESCAPES[e];
    else if (e === "x" || e === "u") {
      const hex = /^[0-9a-fA-F]+/.exec(src.slice(i + 1, i + 1 + (e === "x" ? 2 : 4)))?.[0] ?? "";
      out += hex ? String.fromCharCode(parseInt(hex, 16)) : "\\" + e;
      i += hex.length;
    } else out += "\\" + (e ?? "");
  }
  throw new CaptureError(`${where}: a $'…' string is not closed`);
}
