/** fast-check generators for Storage requests with awkward names, headers and query parameters. */
import fc from "fast-check";

export const accountName = fc.stringMatching(/^[a-z0-9]{3,24}$/);
export const accountKey = fc
  .uint8Array({ minLength: 32, maxLength: 64 })
  .map((b) => Buffer.from(b).toString("base64"));
export const containerName = fc.stringMatching(/^[a-z0-9](?:-?[a-z0-9]){2,30}$/);

/** Pieces that break naive canonicalisers: reserved and percent characters, unicode, spaces. */
const nameUnit = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(..."abcdefxyzABCXYZ0129") },
  { weight: 3, arbitrary: fc.constantFrom(..."!$&'()*+,;=:@ ~-._/") },
  { weight: 2, arbitrary: fc.constantFrom("é", "ß", "Ω", "日", "本", "😀", "ü", "\u00a0") },
  {
    weight: 2,
    arbitrary: fc.constantFrom("%2C", "%2F", "%20", "%25", "%", "#", "?", "[", "]", "{", "}", "^", "`", "|"),
  },
);
export const objectName = fc
  .array(nameUnit, { minLength: 1, maxLength: 24 })
  .map((parts) => parts.join(""))
  .filter((s) => s.trim().length > 0 && !/^\/|\/$/.test(s));

/** Whether a path's `..` segments climb above where it starts (`..`, `../x`, `a/../..`). */
function climbsAbove(path: string): boolean {
  let depth = 0;
  for (const segment of path.split("/")) {
    if (segment === "..") depth--;
    else if (segment !== "" && segment !== ".") depth++;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * A name for a blob under its container, or a directory under its share: the URL parser resolves `..`
 * segments, so a name that climbs above its container leaves none in the URL, and the blob and
 * file-share SDKs throw before they send anything (seen with the name `..`). Every other awkward name,
 * dot segments included, stays.
 */
export const nameUnderContainer = objectName.filter((s) => !climbsAbove(s));

/** Token characters (header names), apostrophe and hyphen included because they sort specially. */
const tokenChars = [..."abcdefghijklmnopqrstuvwxyz0123456789-_.~!#$%&'*+^`|"];
export const headerSuffix = fc
  .array(fc.constantFrom(...tokenChars), { minLength: 1, maxLength: 12 })
  .map((c) => c.join(""));

/** Printable ASCII values, inner runs of spaces kept (only the ends are trimmed by HTTP). */
export const headerValue = fc
  .array(fc.constantFrom(..." abcXYZ019=+/,;:\"'()<>@?{}[]\\~!#$%^&*_-.|`"), { minLength: 1, maxLength: 30 })
  .map((c) => c.join("").trim())
  .filter((v) => v.length > 0);

export const metadata = fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/), headerValue, {
  maxKeys: 4,
});

/** Extra x-ms-* headers a caller adds (odd names to exercise the service's header sort order). */
export const customXmsHeaders = fc
  .uniqueArray(fc.tuple(headerSuffix, headerValue), { maxLength: 5, selector: ([n]) => n })
  .map((pairs) => Object.fromEntries(pairs.map(([n, v]) => [`x-ms-${n}`, v])));

const httpDate = fc
  .date({ min: new Date("2001-01-01T00:00:00Z"), max: new Date("2035-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toUTCString());
const etag = fc.stringMatching(/^[0-9A-F]{8,16}$/).map((s) => `"0x${s}"`);

/**
 * Standard headers a caller may send. Content-Encoding and Content-Language are left out: the installed
 * @azure/storage-common (12.4.x) signs Content-Language in Content-Encoding's slot and vice versa (fixed
 * upstream in Azure/azure-sdk-for-js#39853); sdk-known-differences.test.ts pins that down.
 */
export const standardHeaders = fc.record(
  {
    "Content-MD5": fc
      .uint8Array({ minLength: 16, maxLength: 16 })
      .map((b) => Buffer.from(b).toString("base64")),
    "Content-Type": fc.constantFrom(
      "application/octet-stream",
      "text/plain; charset=utf-8",
      "application/json",
    ),
    "If-Match": etag,
    "If-None-Match": fc.oneof(etag, fc.constant("*")),
    "If-Modified-Since": httpDate,
    "If-Unmodified-Since": httpDate,
    Range: fc.tuple(fc.nat(1 << 20), fc.nat(1 << 20)).map(([a, n]) => `bytes=${a}-${a + n}`),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<Record<string, string>>;

/** Extra query parameters already on the URL (distinct names, non-empty values, reserved characters). */
export const extraQuery = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9._~-]{0,8}$/), headerValue), {
    maxLength: 4,
    selector: ([n]) => n.toLowerCase(),
  })
  .map((pairs) => pairs.map(([n, v]) => `p${n}=${encodeURIComponent(v)}`).join("&"));

export const endpointStyle = fc.constantFrom("host", "secondary-host", "path", "path-secondary");

export function serviceUrl(
  style: string,
  account: string,
  service: "blob" | "queue" | "file" | "table",
): string {
  const port = { blob: 10000, queue: 10001, table: 10002, file: 10003 }[service];
  switch (style) {
    case "secondary-host":
      return `https://${account}-secondary.${service}.core.windows.net`;
    case "path":
      return `http://127.0.0.1:${port}/${account}`;
    case "path-secondary":
      return `http://127.0.0.1:${port}/${account}-secondary`;
    default:
      return `https://${account}.${service}.core.windows.net`;
  }
}
