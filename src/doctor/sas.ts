/**
 * SAS diagnostics: parse every field of a shared access signature and check it against the request it
 * was used on. The signature itself is never shown; only whether it looks well formed.
 */
import { parseSasTime } from "../cluster/sas-window.js";
import { decodeBase64 } from "./base64.js";
import type { Finding } from "./finding.js";
import { isHiddenByLogger } from "./hidden.js";
import { permissionNeeded, type RequestTarget } from "./operation.js";
import type { HttpHeader } from "../signature/http-request.js";
import { SERVICE_LETTER } from "../model/storage-request.js";

export type SasKind = "account" | "service" | "user-delegation";

/** Every documented SAS query field (sig excluded: it is a secret). */
export const SAS_FIELDS = [
  "sv",
  "ss",
  "srt",
  "sr",
  "sp",
  "st",
  "se",
  "sip",
  "spr",
  "si",
  "sdd",
  "ses",
  "skoid",
  "sktid",
  "skt",
  "ske",
  "sks",
  "skv",
  "saoid",
  "suoid",
  "scid",
  "sduoid",
  "tn",
  "spk",
  "srk",
  "epk",
  "erk",
  "rscc",
  "rscd",
  "rsce",
  "rscl",
  "rsct",
] as const;

export interface SasFields {
  kind: SasKind;
  /** Every field as the capture has it, hidden ones included (`sv=REDACTED`). */
  fields: Record<string, string>;
  /** Fields whose value a logger replaced (isHiddenByLogger): present, but not checked. */
  hidden: string[];
  /** A signature is present (its value is never kept). */
  hasSignature: boolean;
}

/** True when the query looks like a SAS (has `sig` or the fields a SAS always carries). */
export function looksLikeSas(url: URL): boolean {
  return url.searchParams.has("sig") || (url.searchParams.has("sv") && url.searchParams.has("se"));
}

export function parseSas(url: URL): SasFields {
  const fields: Record<string, string> = {};
  const hidden: string[] = [];
  for (const name of SAS_FIELDS) {
    const v = url.searchParams.get(name);
    if (v === null) continue;
    fields[name] = v;
    if (isHiddenByLogger(v)) hidden.push(name);
  }
  const kind: SasKind = fields["skoid"]
    ? "user-delegation"
    : fields["srt"] || fields["ss"]
      ? "account"
      : "service";
  return { kind, fields, hidden, hasSignature: url.searchParams.has("sig") };
}

/** The fields that can be checked: those the capture shows (a hidden field is present but unknown). */
function shownFields(sas: SasFields): Record<string, string> {
  const shown = { ...sas.fields };
  for (const name of sas.hidden) delete shown[name];
  return shown;
}

function ipToNumber(ip: string): number | undefined {
  const parts = ip.trim().split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function ipInRange(ip: string, sip: string): boolean | undefined {
  const [lo, hi] = sip.split("-");
  const n = ipToNumber(ip);
  const a = ipToNumber(lo ?? "");
  const b = hi === undefined ? a : ipToNumber(hi);
  if (n === undefined || a === undefined || b === undefined) return undefined;
  return n >= a && n <= b;
}

/** Characters that need no escaping in a path, so an escape of one is spelled differently by different clients. */
const NEEDLESSLY_ESCAPED = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;

function hasAmbiguousEscape(rawPath: string): boolean {
  for (const m of rawPath.matchAll(/%([0-9A-Fa-f]{2})/g)) {
    if (NEEDLESSLY_ESCAPED.test(String.fromCharCode(parseInt(m[1]!, 16)))) return true;
  }
  return false;
}

export interface SasContext {
  url: URL;
  /** The raw query string as sent, to see encoding the URL parser would normalise away. */
  rawQuery: string;
  method: string;
  target: RequestTarget;
  /** The request's headers, where they tell operations apart (lease action, copy source). */
  headers?: readonly HttpHeader[];
  requestTimeMs?: number;
  requestTimeSource?: string;
  clientIp?: string;
  /** Error code from the response, when known. */
  errorCode?: string;
  /** The server's string-to-sign from "Signature did not match. String to sign used was …". */
  serverStringToSign?: string;
}

const MINUTE = 60_000;
/** Storage's tolerance for request dates; a start time this close to the request time points at skew. */
const SKEW_WINDOW_MS = 15 * MINUTE;

export function analyzeSas(ctx: SasContext): { sas: SasFields; findings: Finding[] } {
  const sas = parseSas(ctx.url);
  const f = shownFields(sas);
  const hidden = (name: string) => sas.hidden.includes(name);
  const findings: Finding[] = [];
  const add = (finding: Omit<Finding, "decision"> & { decision?: Finding["decision"] }) =>
    findings.push({ decision: "sas", ...finding });

  if (
    ctx.errorCode?.toLowerCase() === "keybasedauthenticationnotpermitted" &&
    sas.kind !== "user-delegation"
  ) {
    add({
      id: "sas-key-based-disabled",
      severity: "error",
      title: "The account no longer accepts key-signed SAS",
      detail: `This is ${sas.kind === "account" ? "an account" : "a service"} SAS, signed with an account key, and the account has Shared Key access disabled (allowSharedKeyAccess=false). Use a user delegation SAS or Microsoft Entra ID.`,
      decision: "policy",
    });
  }

  if (!sas.hasSignature) {
    add({
      id: "sas-no-signature",
      severity: "error",
      title: "The SAS has no signature",
      detail:
        "The query has SAS fields but no sig: the URL was truncated or the signature stripped by a proxy or a logger.",
    });
  } else {
    const rawSig = /(?:^|&)sig=([^&]*)/i.exec(ctx.rawQuery.replace(/^\?/, ""))?.[1] ?? "";
    if (rawSig.includes("+") || rawSig.includes(" ")) {
      add({
        id: "sas-sig-unencoded-plus",
        severity: "error",
        title: "The signature is not URL-encoded",
        detail:
          "sig contains a raw '+' (or space); in a query string '+' means space, so Storage sees another signature. Only the SASes whose signature happens to contain '+' fail, which looks intermittent. URL-encode the SAS (%2B) when building the URL.",
      });
    } else {
      const decoded = ctx.url.searchParams.get("sig") ?? "";
      if (isHiddenByLogger(decoded)) {
        add({
          id: "sas-sig-hidden",
          severity: "info",
          title: "The capture hides the signature",
          detail: `sig reads "${decoded}": the logger that captured the request (the Azure SDKs' HTTP logging, az --debug) hid it, so it is not checked here; every other SAS field the capture shows is. When they all check out, the signature itself (the key it was signed with) is what to check: capture the request with curl -v or a proxy, or pass the server's error detail.`,
        });
      } else if (decodeBase64(decoded).length !== 32) {
        add({
          id: "sas-sig-malformed",
          severity: "error",
          title: "The signature is malformed",
          detail:
            "sig is not a base64 HMAC-SHA256 (32 bytes): it was truncated, double-encoded or mangled in transit.",
        });
      }
    }
  }

  if (sas.hidden.length > 0) {
    add({
      id: "sas-fields-hidden",
      severity: "info",
      title: "The capture hides SAS fields",
      detail: `${sas.hidden.join(", ")} ${sas.hidden.length === 1 ? "reads" : "read"} "${sas.fields[sas.hidden[0]!]}": the logger that captured the request hid ${sas.hidden.length === 1 ? "its value" : "their values"} (the Python SDK's HTTP logging hides every query parameter, the JavaScript SDK's errors every one it does not know), so ${sas.hidden.length === 1 ? "it is" : "they are"} not checked here. Capture the request with curl -v or a proxy, or check the SAS as it was minted.`,
    });
  }

  if (f["sv"] === undefined) {
    if (!hidden("sv"))
      add({
        id: "sas-no-version",
        severity: "error",
        title: "The SAS has no sv",
        detail: "Every SAS needs a signed version (sv).",
      });
  } else if (!/^\d{4}-\d{2}-\d{2}$/.test(f["sv"])) {
    add({
      id: "sas-bad-version",
      severity: "error",
      title: "sv is not well formed",
      detail: `sv=${f["sv"]} is not a service version date (YYYY-MM-DD); Storage answers "SAS field 'sv' not well formed".`,
    });
  }

  // Time window.
  const st = parseSasTime(f["st"]);
  const se = parseSasTime(f["se"]);
  for (const [field, value, id] of [
    ["st", st, "sas-bad-start"],
    ["se", se, "sas-bad-expiry"],
  ] as const) {
    if (f[field] && value === undefined)
      add({
        id,
        severity: "error",
        title: `${field} is not a valid time`,
        detail: `${field}=${f[field]} is not ISO 8601 UTC.`,
      });
  }
  if (!f["se"] && !f["si"] && !hidden("se") && !hidden("si"))
    add({
      id: "sas-no-expiry",
      severity: "error",
      title: "The SAS has no expiry",
      detail: "A SAS needs se unless a stored access policy (si) provides it.",
    });
  if (st !== undefined && se !== undefined && se <= st) {
    add({
      id: "sas-expiry-before-start",
      severity: "error",
      title: "se is not after st",
      detail: `Signed expiry ${f["se"]} has to be after signed start ${f["st"]}.`,
    });
  }
  const t = ctx.requestTimeMs;
  if (t !== undefined) {
    const at = `${new Date(t).toISOString()} (${ctx.requestTimeSource})`;
    if (se !== undefined && se < t) {
      const ago = Math.round((t - se) / MINUTE);
      add({
        id: "sas-expired",
        severity: "error",
        title: "The SAS had expired",
        detail: `se=${f["se"]} is ${ago} min before the request at ${at}. ${ago <= 15 ? "So close to the request that a slow client clock may be involved; " : ""}Mint a new SAS with a lifetime that covers the work, or use a stored access policy you can extend.`,
        clockSkew: ago <= 15,
      });
    }
    if (st !== undefined && st > t) {
      const ahead = Math.round((st - t) / MINUTE);
      add({
        id: "sas-not-yet-valid",
        severity: "error",
        title:
          ahead * MINUTE <= SKEW_WINDOW_MS
            ? "The SAS was not yet valid: clock skew"
            : "The SAS starts in the future",
        detail:
          ahead * MINUTE <= SKEW_WINDOW_MS
            ? `st=${f["st"]} is ${ahead} min after the request at ${at}: the machine that minted the SAS runs ahead of Storage's clock. Fix its clock, or set st a few minutes in the past (or omit it).`
            : `st=${f["st"]} is ${ahead} min after the request at ${at}: the SAS was minted with a future start time.`,
        clockSkew: ahead * MINUTE <= SKEW_WINDOW_MS,
      });
    }
    if (sas.kind === "user-delegation") {
      const skt = parseSasTime(f["skt"]);
      const ske = parseSasTime(f["ske"]);
      if (ske !== undefined && ske < t) {
        add({
          id: "sas-delegation-key-expired",
          severity: "error",
          title: "The user delegation key had expired",
          detail: `ske=${f["ske"]} is before the request at ${at}: request a new user delegation key and re-sign.`,
        });
      }
      if (
        (skt !== undefined && st !== undefined && st < skt) ||
        (ske !== undefined && se !== undefined && se > ske)
      ) {
        add({
          id: "sas-outside-delegation-key",
          severity: "error",
          title: "The SAS outlives its user delegation key",
          detail: `st/se (${f["st"] ?? "-"} → ${f["se"] ?? "-"}) must fall within the key's skt/ske (${f["skt"] ?? "-"} → ${f["ske"] ?? "-"}).`,
        });
      }
    }
  }

  // Protocol and IP.
  const protocol = ctx.url.protocol.replace(":", "");
  if (f["spr"] && !f["spr"].split(",").includes(protocol)) {
    add({
      id: "sas-protocol-mismatch",
      severity: "error",
      title: "The SAS forbids this protocol",
      detail: `spr=${f["spr"]} but the request used ${protocol.toUpperCase()} (AuthorizationProtocolMismatch). Use the https:// endpoint.`,
    });
  }
  if (f["sip"]) {
    if (!ctx.clientIp) {
      add({
        id: "sas-ip-unknown",
        severity: "info",
        title: "The SAS is bound to an IP range",
        detail: `sip=${f["sip"]}: if the caller's egress IP is outside it, Storage answers AuthorizationSourceIPMismatch. Pass --client-ip to check.`,
      });
    } else if (ipInRange(ctx.clientIp, f["sip"]) === false) {
      add({
        id: "sas-ip-mismatch",
        severity: "error",
        title: "The caller's IP is outside the SAS range",
        detail: `sip=${f["sip"]} does not include ${ctx.clientIp} (AuthorizationSourceIPMismatch). Check NAT or egress changes.`,
      });
    }
  }

  // Scope: service, resource types, signed resource.
  const svc = ctx.target.service;
  if (sas.kind === "account" && svc) {
    if (f["ss"] && !f["ss"].includes(SERVICE_LETTER[svc]!)) {
      add({
        id: "sas-service-mismatch",
        severity: "error",
        title: "The account SAS does not cover this service",
        detail: `ss=${f["ss"]} lacks '${SERVICE_LETTER[svc]}' for the ${svc} service (AuthorizationServiceMismatch).`,
      });
    }
    const neededType = ctx.target.level === "service" ? "s" : ctx.target.level === "container" ? "c" : "o";
    if (f["srt"] && !f["srt"].includes(neededType)) {
      add({
        id: "sas-resource-type-mismatch",
        severity: "error",
        title: "The account SAS does not cover this resource type",
        detail: `srt=${f["srt"]} lacks '${neededType}' (${ctx.target.level}-level request; AuthorizationResourceTypeMismatch).`,
      });
    }
  }
  if (f["sr"]) {
    const objectLevel = ["b", "bs", "bv", "f"].includes(f["sr"]);
    if (objectLevel && ctx.target.level !== "object") {
      add({
        id: "sas-resource-level",
        severity: "error",
        title: "A SAS for one object is used on a container-level request",
        detail: `sr=${f["sr"]} signs a single ${f["sr"] === "f" ? "file" : "blob"}, but this request addresses the ${ctx.target.level}. Mint a container-level SAS (sr=c / sr=s) for listing or container operations.`,
      });
    }
    if (f["sr"] === "d") {
      const depth = Number(f["sdd"]);
      if (!Number.isInteger(depth))
        add({
          id: "sas-directory-depth",
          severity: "error",
          title: "A directory SAS needs sdd",
          detail: "sr=d requires sdd, the directory depth.",
        });
    }
  }

  // Signed path versus requested path.
  const serverResource = ctx.serverStringToSign
    ? canonicalResourceFromSasStringToSign(ctx.serverStringToSign)
    : undefined;
  if (serverResource && svc && ctx.target.account) {
    const requested = `/${svc}/${ctx.target.account}/${ctx.target.segments.join("/")}`.replace(/\/$/, "");
    if (serverResource !== requested && !requested.startsWith(serverResource + "/")) {
      add({
        id: "sas-path-mismatch",
        severity: "error",
        title: "The SAS was signed for another path",
        detail: `Storage checked the signature over ${serverResource}, but the request decodes to ${requested}.`,
      });
    }
  }
  if (hasAmbiguousEscape(ctx.target.rawPath)) {
    add({
      id: "sas-path-encoding",
      severity: "warning",
      title: "The path contains percent-escapes clients encode differently",
      detail: `The requested path ${ctx.target.rawPath} contains escapes such as %2E or %2C. Storage signs the decoded name; SAS builders or proxies that decode (or re-encode) it differently produce "Signature did not match" for exactly these names. Sign the blob name exactly as the service decodes it.`,
    });
  }

  // Permissions.
  const need = permissionNeeded(ctx.method, ctx.url, ctx.target, ctx.headers);
  if (need && f["sp"] && !need.anyOf.some((alt) => [...alt].every((p) => f["sp"]!.includes(p)))) {
    add({
      id: "sas-permission-mismatch",
      severity: "error",
      title: "The SAS lacks the permission for this operation",
      detail: `${ctx.method.toUpperCase()} here means "${need.name}", which needs sp to include ${need.anyOf.map((p) => `'${p}'`).join(" or ")} (missing from sp=${f["sp"]}) (AuthorizationPermissionMismatch).`,
    });
  }
  if (!f["sp"] && !hidden("sp") && f["si"]) {
    add({
      id: "sas-stored-policy",
      severity: "info",
      title: "Permissions come from a stored access policy",
      detail: `si=${f["si"]}: permissions and expiry may live in the policy; a policy edit takes up to 30 s to apply.`,
    });
  }
  return { sas, findings };
}

/** The canonicalized resource line (`/blob/acct/container/blob`) of a SAS string-to-sign, if present. */
export function canonicalResourceFromSasStringToSign(stringToSign: string): string | undefined {
  return stringToSign
    .split("\n")
    .map((l) => l.trim())
    .find((l) => /^\/(blob|file|queue|table)\/[^/]+/.test(l));
}

/** The SAS fields that appear verbatim as lines of every SAS string-to-sign that signs them. */
const SIGNED_LINE_FIELDS = [
  "sp",
  "st",
  "se",
  "sip",
  "spr",
  "sv",
  "sr",
  "ss",
  "srt",
  "skoid",
  "sktid",
  "skt",
  "ske",
  "sks",
  "skv",
];

export interface SasSignatureContext {
  sas: SasFields;
  sig?: string;
  target: RequestTarget;
  serverStringToSign?: string;
  errorCode?: string;
  emulator: boolean;
  /** Whether the field checks already found an error (then that error explains the failure). */
  otherErrors: boolean;
  keyCheck?: { source: string; sign(stringToSign: string): string };
}

/**
 * The signature itself. With the server's string-to-sign: when Storage signed exactly the values the SAS
 * carries, the SAS arrived as minted and only the key (or the minting code) can be wrong; a supplied key
 * (--key-env) then says which. Without it, a rejection the field checks cannot explain is named as such.
 */
export function sasSignatureFindings(ctx: SasSignatureContext): Finding[] {
  if (ctx.otherErrors) return [];
  const f = shownFields(ctx.sas);
  const code = ctx.errorCode?.toLowerCase();
  const sts = ctx.serverStringToSign;
  if (sts !== undefined) {
    const lines = new Set(sts.split("\n"));
    const disagreeing = SIGNED_LINE_FIELDS.filter(
      (k) => f[k] !== undefined && f[k] !== "" && !lines.has(f[k]!),
    );
    if (disagreeing.length > 0) {
      return [
        {
          id: "sas-signed-other-values",
          severity: "error",
          title: "Storage signed other values than the SAS carries",
          detail: `The string Storage signed does not contain ${disagreeing.map((k) => `${k}=${f[k]}`).join(", ")} as the SAS states it: the SAS was altered after minting (a field re-encoded or edited by hand or by a proxy), or built for another version's layout. Mint it again and pass it through unchanged.`,
          decision: "sas",
        },
      ];
    }
    let keyNote = "";
    if (ctx.keyCheck && ctx.sig) {
      keyNote =
        ctx.keyCheck.sign(sts) === ctx.sig
          ? ` ${ctx.keyCheck.source} signs Storage's string to exactly this sig: the SAS is right for that key, so Storage holds another key (the account's keys were regenerated after the key was copied, or it is another account's key).`
          : ` ${ctx.keyCheck.source} does not produce this sig over Storage's string: the SAS was minted with another key than that one (an old or regenerated key, the other key slot, another account's key).`;
    }
    return [
      {
        id: "sas-wrong-key",
        severity: "error",
        title: "The SAS arrived as minted: it was signed with another key",
        detail: `Storage signed exactly the values the SAS carries (${SIGNED_LINE_FIELDS.filter((k) => f[k])
          .map((k) => `${k}=${f[k]}`)
          .join(
            ", ",
          )}) for ${ctx.target.account ?? "the account"}, and the signature still did not match: the SAS was ${ctx.sas.kind === "user-delegation" ? "signed with another user delegation key (one requested for another account, or revoked)" : "signed with a key Storage does not hold (a regenerated key, another account's key)"}, or the code that minted it builds another string.${keyNote} Mint a new SAS with the current key; do not change roles or the firewall.`,
        decision: "sas",
      },
    ];
  }
  if (code === "authenticationfailed" || (ctx.emulator && code === "authorizationfailure")) {
    return [
      {
        id: "sas-signature-rejected",
        severity: "error",
        title: "Storage rejected the SAS signature",
        detail: `${ctx.emulator ? `The emulator answered ${ctx.errorCode}, its answer to a SAS whose signature does not verify (Azure answers 403 AuthenticationFailed with "Signature did not match"). ` : ""}${ctx.sas.hidden.length > 0 ? `Every SAS field the capture shows checks out against the request, but it hides ${ctx.sas.hidden.join(", ")}: either one of those is wrong (an expired se, a missing permission in sp) or the signature itself did not verify` : "Every SAS field checks out against the request, so the signature itself did not verify"}: minted with another key (a regenerated key, another account's), or altered after minting. ${ctx.emulator ? "Azurite's --debug log shows the string it signed ('String to sign is')" : "Capture the whole error body: AuthenticationErrorDetail says what Storage signed"}; pass --key-env with the account key to check the key.`,
        decision: "sas",
      },
    ];
  }
  return [];
}
