/**
 * Secret redaction. Every string that leaves the process (reports, cards, logs, errors, the dashboard)
 * and may carry a credential goes through here first.
 */
export const REDACTED = "REDACTED";

/** Query parameters whose values are secrets: SAS signatures and Workflow trigger signatures. */
const SECRET_QUERY_PARAMS = [
  "sig",
  "signature",
  "code",
  "sv_sig",
  "x-ms-signature",
  "api-key",
  "access_token",
];

const SECRET_PARAM_RE = new RegExp(`([?&;](?:${SECRET_QUERY_PARAMS.join("|")})=)[^&#\\s'"<>]*`, "gi");

/** Redacts SAS `sig` and other secret query values in a URI or any text containing URIs. */
export function redactUri(text: string): string {
  return text.replace(SECRET_PARAM_RE, `$1${REDACTED}`);
}

const AUTH_HEADER_RE = /\b(SharedKey(?:Lite)?\s+[^:\s]+:)[A-Za-z0-9+/=]+/g;
// Same-line whitespace only, and a token-like length, so prose such as "Bearer\nTime" is left alone.
const BEARER_RE = /\b(Bearer[ \t]+)[A-Za-z0-9\-_.~+/]{8,}=*/gi;
const JWT_RE = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const ACCOUNT_KEY_RE = /(AccountKey=)[^;'"\s]+/gi;
const MAC_RE = /(The MAC signature found in the HTTP request ')[^']*(')/g;

/**
 * Redacts every credential shape this product knows: SAS/trigger signatures in URLs, Shared Key
 * signatures, bearer tokens and bare JWTs, AccountKey=… in connection strings, and the MAC echoed in
 * Storage's AuthenticationFailed detail.
 */
export function redactSecrets(text: string): string {
  return redactUri(text)
    .replace(AUTH_HEADER_RE, `$1${REDACTED}`)
    .replace(BEARER_RE, `$1${REDACTED}`)
    .replace(JWT_RE, REDACTED)
    .replace(ACCOUNT_KEY_RE, `$1${REDACTED}`)
    .replace(MAC_RE, `$1${REDACTED}$2`);
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
