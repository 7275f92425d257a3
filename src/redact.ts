/**
 * Secret redaction: the one step every value passes through where it leaves the process (reports,
 * Teams cards, webhook payloads, Table state, telemetry, logs, the dashboard API, `explain`). Sinks call
 * `sanitizeOutbound` in their own write function, so a caller cannot forget it; see
 * docs/architecture.md, "The redaction boundary". Log fields also pass through `sanitizeLogValue` where
 * they enter an incident, so stored and freshly built incidents hold the same text.
 */
export const REDACTED = "REDACTED";

/**
 * Query (and connection-string) parameters whose values are secrets: SAS and Workflow trigger
 * signatures, function keys, API and API Management subscription keys, OAuth and SAS tokens, client
 * secrets, passwords, Service Bus and Event Hubs keys (`SharedAccessKey=` in their connection strings),
 * App Configuration secrets (`Secret=`) and SignalR / Web PubSub keys (`AccessKey=`).
 */
const SECRET_QUERY_PARAMS = [
  "sig",
  "signature",
  "code",
  "sv_sig",
  "x-ms-signature",
  "api-key",
  "apikey",
  "subscription-key",
  "access_token",
  "refresh_token",
  "id_token",
  "token",
  "sas_token",
  "sastoken",
  "client_secret",
  "password",
  "pwd",
  "sharedaccesskey",
  "secret",
  "accesskey",
  "clientsecret",
  "client-secret",
];

// A query separator (? & ;), plain or percent-encoded once or more (%26, %2526, …): a SAS URL carried
// inside another URL's query value is encoded, and logs sometimes encode it twice. In JSON written by
// Go's encoding/json or .NET's System.Text.Json (AzCopy's JSON output, .NET SDK logs) `&` is `\u0026`.
const SEP = String.raw`(?:[?&;]|%(?:25)*(?:3F|26|3B)|\\u0026)`;
const EQ = String.raw`(?:=|%(?:25)*3D|\\u003d)`;
// The value runs to the next separator, plain, percent- or JSON-encoded; an encoded separator ends it
// too, so the parameters after an encoded signature stay readable.
const VALUE = String.raw`(?:[^&#;%\s'"<>\\]|%(?!(?:25)*(?:26|3B|23))|\\(?!u0026))*`;
const SECRET_PARAM_RE = new RegExp(`(${SEP}(?:${SECRET_QUERY_PARAMS.join("|")})${EQ})${VALUE}`, "gi");

/** Redacts SAS `sig` and other secret query values in a URI or any text containing URIs. */
export function redactUri(text: string): string {
  return text.replace(SECRET_PARAM_RE, `$1${REDACTED}`);
}

// The same parameters written as `name=value` in free text (a user agent, a UPN), after a space, a
// comma, a parenthesis, a quote, an `=` (`SharedAccessSignature=sig=…`, a SAS whose `sig` comes first) or
// at the start; `code` only in a query, where it is a function key: in prose `code=403` is a status.
const FREE_SECRET_NAMES = SECRET_QUERY_PARAMS.filter((p) => p !== "code");
const FREE_SECRET_PARAM_RE = new RegExp(
  `((?:^|[\\s,("'=])(?:${FREE_SECRET_NAMES.join("|")})${EQ})${VALUE}`,
  "gi",
);
// The same names as a JSON or Python dict key (`"sig": "…"`, `'client_secret': '…'`), also inside a JSON
// string (`\"password\":\"…\"`), and a Storage account key's usual names; the value runs to its quote.
const QUOTED_SECRET_NAMES = [...FREE_SECRET_NAMES, "accountkey", "account_key", "clientsecret"];
const QUOTED_SECRET_KEY_RE = new RegExp(
  String.raw`((\\?["'])(?:${QUOTED_SECRET_NAMES.join("|")})\2\s*:\s*\\?["'])` +
    String.raw`(?:[^"'\\\r\n]|\\[^"'\r\n])+`,
  "gi",
);

/**
 * A bare account key, of Storage or Cosmos DB: 64 bytes in base64, 86 characters then `==`, alone (no
 * base64 character on either side); in a URL `+`, `/` and `=` may be percent-encoded.
 */
const BASE64_UNIT = "(?:[A-Za-z0-9+/]|%2[BbFf])";
const BARE_KEY_RE = new RegExp(
  `(?<!${BASE64_UNIT})${BASE64_UNIT}{86}(?:==|%3[Dd]%3[Dd])(?![A-Za-z0-9+/=]|%3[Dd]|%2[BbFf])`,
  "g",
);
/** What every bare key holds, searched first: most text with an `=` has no `==`. */
const KEY_PADDING_RE = /==|%3d%3d/i;

const AUTH_HEADER_RE = /\b(SharedKey(?:Lite)?\s+[^:\s]+:)[A-Za-z0-9+/=%]+/gi;
// Same-line whitespace only, and a token-like length, so prose such as "Bearer\nTime" is left alone.
// Also percent- or form-encoded (`Authorization=Bearer%20…`, a header carried in a query or a form).
const BEARER_RE = /\b(Bearer(?:[ \t]+|%20|\+))[A-Za-z0-9\-_.~+/%]{8,}=*/gi;
const JWT_RE = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const ACCOUNT_KEY_RE = /(AccountKey(?:=|%(?:25)*3D))(?:[^;'"\s%&]|%(?!(?:25)*(?:3B|26)))+/gi;
// Secrets named by a command-line flag (also as az --debug lists its arguments: `'--account-key', '…'`)
// or by an environment variable (`AZURE_CLIENT_SECRET=…`, as CI logs and shell traces print them). Not a
// variable (`$KEY`, `%KEY%`, `<key>`), another flag or a lower-case word: prose ("--account-key or …").
/** How an environment variable that holds a secret is named: its name ends so. */
const SECRET_VARIABLE_ENDINGS = ["SECRET", "PASSWORD", "_KEY", "_TOKEN", "_SAS", "CONNECTION_STRING"];
const NAMED_SECRET_RE = new RegExp(
  String.raw`((?:--(?:account-key|sas-token|client-secret|password|connection-string)(?:[ \t]+|=|['"],[ \t]*)|\b[A-Z][A-Z0-9_]*(?:${SECRET_VARIABLE_ENDINGS.join("|")})=)['"]?)(?![$%<-]|[a-z]+(?![^\s'"]))[^\s'"]+`,
  "g",
);
// The same after PowerShell's parameters (New-AzStorageContext, Connect-AzAccount, Get-AzStorageBlob…;
// `-Name value` or `-Name:value`, any case) and AzCopy 8's `/DestKey:`, `/SourceSAS:` options; and the
// plain text handed to `ConvertTo-SecureString … -AsPlainText`. A variable, an expression or a
// sub-expression (`$key`, `(Get-…)`, `@{…}`) is left, as it holds no secret, and so is a lower-case
// word (prose: "the -SasToken parameter").
/** The PowerShell parameters a secret follows: in this pattern and in the pre-test (MAY_HOLD_SECRET_RE). */
const SECRET_POWERSHELL_PARAMS = [
  "StorageAccountKey",
  "AccountKey",
  "SasToken",
  "ConnectionString",
  "ClientSecret",
  "ApplicationSecret",
  "CertificatePassword",
].join("|");
const SHELL_SECRET_RE = new RegExp(
  String.raw`((?:^|[\s(;|])(?:-(?:${SECRET_POWERSHELL_PARAMS})(?:[ \t]+|:)|\/(?:Dest|Source)(?:Key|SAS):|ConvertTo-SecureString[ \t]+(?:-String[ \t]+)?)['"]?)(?![$(@-])([^\s'"]+)`,
  "gi",
);
const shellSecret = (match: string, named: string, value: string): string =>
  /^[a-z]+$/.test(value) ? match : named + REDACTED;
const MAC_RE = /(The MAC signature found in the HTTP request ')[^']*(')/gi;
// Webhook URLs that carry their secret in the path, not the query: Office 365 connectors and Teams
// incoming webhooks, Slack's incoming webhooks and workflow triggers, Discord's webhooks.
const WEBHOOK_PATH_RE = new RegExp(
  String.raw`(https?://(?:[a-z0-9.-]*(?:webhook\.office\.com|outlook\.office(?:365)?\.com)/webhook[a-z0-9]*` +
    String.raw`|hooks\.slack\.com/(?:services|workflows|triggers)|(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks)/)` +
    String.raw`[^\s'"<>]+`,
  "gi",
);
// Keys sent as headers, written as `Name: value` (a pasted request, a logged header).
const SECRET_HEADER_RE =
  /\b((?:x-functions-key|ocp-apim-subscription-key|x-ms-encryption-key|x-api-key|api-key|aeg-sas-key)[ \t]*:[ \t]*)[^\s,;'"<>()]+/gi;
// HTTP Basic credentials (`Authorization` or `Proxy-Authorization`, as curl -v through a proxy prints
// them): base64 of user:password. A plain word after "Basic" ("Basic authentication") is prose.
const BASIC_RE = /\b([Bb]asic[ \t]+)(?![A-Z]?[a-z]+(?![A-Za-z0-9+/=]))[A-Za-z0-9+/]{8,}={0,2}/g;
// Tokens recognisable by their own prefix wherever they stand: GitHub (classic and fine-grained), Slack,
// Google API keys, npm, AWS access key ids; and Microsoft Entra client secrets (three characters, a
// digit, `Q~`).
/** The prefixes of those tokens, as PREFIXED_TOKEN_RE spells them. */
const TOKEN_PREFIXES = String.raw`gh[pousr]_|github_pat_|xox[abposr]-|AIza|npm_|AKIA|ASIA`;
const PREFIXED_TOKEN_RE =
  /\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255}|xox[abposr]-[A-Za-z0-9-]{10,250}|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36}|(?:AKIA|ASIA)[0-9A-Z]{16})(?![A-Za-z0-9_-])/g;
// The password of a URL's user info (`http://user:password@proxy:3128`, as curl -v and SDK logs print a
// proxy from HTTPS_PROXY); the user name stays, to say whose it was.
const URL_PASSWORD_RE = /(\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:'"<>]+:)[^\s/?#@'"<>]+(?=@)/g;
// A PEM private key's body (also with JSON's `\n` escapes, and when cut off before its END line).
const PEM_PRIVATE_KEY_RE =
  /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(?:[A-Za-z0-9+/=:,\s]|\\[nr]|-(?!----END))+/g;
const ENTRA_CLIENT_SECRET_RE =
  /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,64}(?![A-Za-z0-9_~.-])/g;

/**
 * Redacts every credential shape this product knows: SAS/trigger signatures in URLs (also
 * percent-encoded inside another query value, or with JSON's `\u0026` for `&`), client secrets and
 * passwords in query or connection strings, as `name=value` in free text or as a quoted JSON or dict key,
 * secrets after a command-line flag, a PowerShell parameter, an AzCopy 8 option or an environment variable's
 * name, Shared Key signatures, bearer
 * tokens and bare JWTs,
 * AccountKey=… in connection strings and bare account keys, keys written as headers, HTTP Basic
 * credentials, tokens known by their prefix (GitHub, Slack, Google, npm, AWS, Entra client secrets), the
 * password in a URL's user info, PEM private keys, the MAC
 * echoed in Storage's AuthenticationFailed detail, and the paths of Teams / Office 365, Slack and Discord
 * webhook URLs.
 * Idempotent: redacting redacted text changes nothing.
 */
export function redactSecrets(text: string): string {
  return mayHoldSecret(text) ? redactAll(text) : text;
}

/**
 * Something every pattern above needs, found at or before where it starts (`=` or `%` for parameters
 * and account keys, or the `=` JSON-escaped as `\u003d` that the parameter patterns also take, the
 * scheme words, `eyJ`, the MAC text, `webhook` or Slack's host, a header name ending in `-key`, the
 * shell parameters' names): one test instead of a pass per pattern over text that has none of them,
 * which is most user agents and URIs without a query.
 */
const MAY_HOLD_SECRET_RE = new RegExp(
  String.raw`[=%]|\\u003d|["']\s*:|--(?:sas-token|client-secret|password|connection-string)|eyJ|bearer|sharedkey|webhook|hooks\.slack|-key\b|mac signature|-(?:${SECRET_POWERSHELL_PARAMS})\b|\/(?:dest|source)(?:key|sas):|convertto-securestring`,
  "i",
);
/**
 * The same for the tokens known by their prefix and HTTP Basic: apart, and case-sensitive, as one
 * case-insensitive test with these in it took four times as long over user agents. An Entra client
 * secret's `Q~` stands ENTRA_SECRET_LEAD characters after where it starts.
 */
const MAY_HOLD_TOKEN_RE = new RegExp(
  String.raw`${TOKEN_PREFIXES}|Q~|[Bb]asic[ \t]|PRIVATE KEY|:\/\/[^\s/@]*:[^\s/@]*@`,
);
const ENTRA_SECRET_LEAD = 4;

function mayHoldSecret(text: string): boolean {
  // `=` and `%` alone answer for most text that holds any (URIs with a query): found without the pattern.
  return (
    text.includes("=") || text.includes("%") || MAY_HOLD_SECRET_RE.test(text) || MAY_HOLD_TOKEN_RE.test(text)
  );
}

/** Where the first redaction of `text` could start at the earliest; -1 when nothing would be redacted. */
function firstSecretAt(text: string): number {
  let at = text.search(MAY_HOLD_SECRET_RE);
  const token = MAY_HOLD_TOKEN_RE.exec(text);
  if (token) {
    const start = token[0] === "Q~" ? Math.max(0, token.index - ENTRA_SECRET_LEAD) : token.index;
    if (at < 0 || start < at) at = start;
  }
  return at;
}

/**
 * One pattern of redactAll, with what any text it matches holds (`mayMatch`, given the text and the text
 * lower-cased): a pattern whose necessary words are absent is not run. A SAS URI then runs three of the
 * patterns, not fifteen (BENCHMARKS.md, forty-seventh round).
 */
export interface RedactionStep {
  pattern: RegExp;
  replacement: string | ((match: string, ...groups: string[]) => string);
  mayMatch(text: string, lower: string): boolean;
}

/** Whether `text` holds one of `words` (in the case given). */
function holdsAny(text: string, words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) if (text.includes(words[i]!)) return true;
  return false;
}

/**
 * The words, of `names`, that every name holds one of: those holding no other name (lower case), so that
 * `sig` stands for `signature` and `x-ms-signature`.
 */
function wordsCovering(names: readonly string[]): string[] {
  const lower = [...new Set(names.map((n) => n.toLowerCase()))];
  return lower.filter((n) => !lower.some((m) => m !== n && n.includes(m)));
}

const FREE_SECRET_WORDS = wordsCovering(FREE_SECRET_NAMES);
const QUOTED_SECRET_WORDS = wordsCovering(QUOTED_SECRET_NAMES);
const SHELL_SECRET_WORDS = wordsCovering([
  ...SECRET_POWERSHELL_PARAMS.split("|").map((p) => "-" + p),
  "/destkey:",
  "/destsas:",
  "/sourcekey:",
  "/sourcesas:",
  "convertto-securestring",
]);
const PREFIXED_TOKEN_LEAD_RE = new RegExp(TOKEN_PREFIXES);

/**
 * redactAll's patterns after the bare keys and the URI parameters, in the order they are applied
 * (exported for the test that holds each step's `mayMatch` to its pattern).
 */
export const REDACTION_STEPS: readonly RedactionStep[] = [
  {
    pattern: FREE_SECRET_PARAM_RE,
    replacement: `$1${REDACTED}`,
    mayMatch: (_, lower) => holdsAny(lower, FREE_SECRET_WORDS),
  },
  {
    pattern: QUOTED_SECRET_KEY_RE,
    replacement: `$1${REDACTED}`,
    mayMatch: (text, lower) =>
      (text.includes('"') || text.includes("'")) && holdsAny(lower, QUOTED_SECRET_WORDS),
  },
  {
    pattern: NAMED_SECRET_RE,
    replacement: `$1${REDACTED}`,
    mayMatch: (text) => text.includes("--") || holdsAny(text, SECRET_VARIABLE_ENDINGS),
  },
  {
    pattern: SHELL_SECRET_RE,
    replacement: shellSecret,
    mayMatch: (_, lower) => holdsAny(lower, SHELL_SECRET_WORDS),
  },
  {
    pattern: AUTH_HEADER_RE,
    replacement: `$1${REDACTED}`,
    mayMatch: (_, lower) => lower.includes("sharedkey"),
  },
  { pattern: BEARER_RE, replacement: `$1${REDACTED}`, mayMatch: (_, lower) => lower.includes("bearer") },
  { pattern: JWT_RE, replacement: REDACTED, mayMatch: (text) => text.includes("eyJ") },
  {
    pattern: ACCOUNT_KEY_RE,
    replacement: `$1${REDACTED}`,
    mayMatch: (_, lower) => lower.includes("accountkey"),
  },
  {
    pattern: MAC_RE,
    replacement: `$1${REDACTED}$2`,
    mayMatch: (_, lower) => lower.includes("mac signature"),
  },
  {
    pattern: WEBHOOK_PATH_RE,
    replacement: `$1${REDACTED}`,
    mayMatch: (_, lower) => lower.includes("webhook") || lower.includes("hooks.slack.com"),
  },
  { pattern: SECRET_HEADER_RE, replacement: `$1${REDACTED}`, mayMatch: (_, lower) => lower.includes("-key") },
  { pattern: BASIC_RE, replacement: `$1${REDACTED}`, mayMatch: (text) => text.includes("asic") },
  {
    pattern: PREFIXED_TOKEN_RE,
    replacement: REDACTED,
    mayMatch: (text) => PREFIXED_TOKEN_LEAD_RE.test(text),
  },
  { pattern: ENTRA_CLIENT_SECRET_RE, replacement: REDACTED, mayMatch: (text) => text.includes("Q~") },
];

function redactAll(text: string): string {
  const keyless = KEY_PADDING_RE.test(text) ? text.replace(BARE_KEY_RE, REDACTED) : text;
  let redacted = redactUri(keyless);
  // Lower-cased again only when a step changed the text: each step's test sees the text it would run on.
  let lower = redacted.toLowerCase();
  for (const step of REDACTION_STEPS) {
    if (!step.mayMatch(redacted, lower)) continue;
    const next = redacted.replace(step.pattern, step.replacement as string);
    if (next !== redacted) {
      redacted = next;
      lower = next.toLowerCase();
    }
  }
  // Rare shapes behind a plain search for what each needs: most redacted text has a query, not these.
  const userless = redacted.includes("@") ? redacted.replace(URL_PASSWORD_RE, `$1${REDACTED}`) : redacted;
  return userless.includes("PRIVATE KEY") ? userless.replace(PEM_PRIVATE_KEY_RE, `$1${REDACTED}`) : userless;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what must go
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex -- as above, less the layout our own renderers produce
const CONTROL_BUT_LAYOUT_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;
const visible = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * A log field as it enters an incident (user agent, URI, object key): secrets redacted and every control
 * character, newlines included, made visible as `\uXXXX`, so nothing downstream ever holds them raw.
 */
export function sanitizeLogValue(text: string): string {
  return redactSecrets(text).replace(CONTROL_RE, visible);
}

/**
 * How many leading characters of `text` sanitizeLogValue keeps as they are: every pattern it redacts
 * starts at or after firstSecretAt, and it escapes nothing before a control character. A
 * caller that only compares the sanitized text can often decide on this prefix without sanitizing.
 */
export function sanitizedPrefixLength(text: string): number {
  let secret = firstSecretAt(text);
  // A bare key is the one shape redacted from before its `=` or `%`.
  if (secret >= 0 && KEY_PADDING_RE.test(text)) {
    const key = text.search(BARE_KEY_RE);
    if (key >= 0 && key < secret) secret = key;
  }
  const control = text.search(CONTROL_RE);
  if (secret < 0) return control < 0 ? text.length : control;
  return control < 0 ? secret : Math.min(secret, control);
}

declare const outbound: unique symbol;
/** A value that went through `sanitizeOutbound`: what a sink's serializer accepts. */
export type Outbound<T> = T & { readonly [outbound]: true };

/**
 * The redaction boundary. Returns a copy of `value` in which every string (keys of plain objects
 * included) has its secrets redacted and its control characters made visible (`\u0000`), except the
 * newline and tab our own renderers use for layout. Idempotent, and a no-op on text that is already
 * clean. Maps and Sets stay Maps and Sets; Dates become ISO strings, as JSON would make them; functions
 * and symbols are dropped.
 */
export function sanitizeOutbound<T>(value: T): Outbound<T> {
  return walk(value, 0) as Outbound<T>;
}

/** The boundary for one string, for serializers that stream (the JSON report): what `sanitizeOutbound` does to each string. */
export function sanitizeOutboundText(s: string): string {
  return redactSecrets(s).replace(CONTROL_BUT_LAYOUT_RE, visible);
}
const cleanString = sanitizeOutboundText;

const MAX_DEPTH = 64;

function walk(v: unknown, depth: number): unknown {
  if (typeof v === "string") return cleanString(v);
  if (v === null || typeof v !== "object")
    return typeof v === "function" || typeof v === "symbol" ? undefined : v;
  if (depth > MAX_DEPTH) return "[too deep]";
  if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Error) return { name: v.name, message: cleanString(v.message) };
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [walk(k, depth + 1), walk(x, depth + 1)]));
  if (v instanceof Set) return new Set([...v].map((x) => walk(x, depth + 1)));
  const entries: Array<[string, unknown]> = [];
  for (const [k, x] of Object.entries(v)) {
    const w = walk(x, depth + 1);
    if (w !== undefined) entries.push([cleanString(k), w]);
  }
  // fromEntries defines own properties, so a logged key such as `__proto__` stays data.
  return Object.fromEntries(entries);
}

/** Shows a URL's scheme, host and path only: for webhook URLs whose query carries the secret. */
export function describeSecretUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 24 ? u.pathname.slice(0, 24) + "…" : u.pathname} (query hidden)`;
  } catch {
    return "(invalid URL)";
  }
}
