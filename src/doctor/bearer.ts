/**
 * Bearer diagnostics: decode an access token's claims WITHOUT verifying it (we diagnose, we do not
 * authenticate) and compare them with Storage's WWW-Authenticate challenge, the request time and the
 * response's error detail. Only claims are ever shown, never the token.
 */
import { decodeBase64Utf8 } from "./base64.js";
import type { Finding } from "./finding.js";
import { compareText } from "../order.js";

export interface TokenClaims {
  aud?: string | string[];
  iss?: string;
  tid?: string;
  appid?: string;
  azp?: string;
  oid?: string;
  upn?: string;
  scp?: string;
  roles?: string[];
  nbf?: number;
  exp?: number;
  iat?: number;
  ver?: string;
}

export interface BearerChallenge {
  /** Tenant named in authorization_uri. */
  tenant?: string;
  authorizationUri?: string;
  resourceId?: string;
}

/** Claims shown to the user (never the signature or the raw token). */
const SHOWN_CLAIMS = [
  "aud",
  "iss",
  "tid",
  "appid",
  "azp",
  "oid",
  "upn",
  "scp",
  "roles",
  "nbf",
  "exp",
  "iat",
  "ver",
];

/** Version that first accepted bearer tokens on the data plane. Versions are dates: they order as text. */
export const MIN_BEARER_VERSION = "2017-11-09";

/** The storage resource's well-known application id, accepted as an audience. */
const STORAGE_APP_ID = "e406a681-f3d4-42a8-90b6-c2b029497af1";

function base64UrlDecode(part: string): string {
  return decodeBase64Utf8(part);
}

export type DecodedToken = { ok: true; claims: TokenClaims } | { ok: false; reason: string };

/** What Storage's AuthenticationErrorDetail says about a token (Azure's words, and Azurite's), and the fix. */
export const TOKEN_DETAILS: ReadonlyArray<{ pattern: RegExp; said: string; fix: string }> = [
  {
    pattern: /lifetime validation failed|token is expired/i,
    said: "Storage says the token's lifetime validation failed.",
    fix: "The token had expired (or is not yet valid): the client must acquire a new one before each use (a credential's cache does; a token stored in configuration does not), and its clock must be right.",
  },
  {
    pattern: /audience validation failed|invalid (?:token )?audience/i,
    said: "Storage says the token's audience is wrong.",
    fix: "The token is for another resource: request it for https://storage.azure.com (scope https://storage.azure.com/.default), not for management or Graph.",
  },
  {
    pattern: /issuer validation failed/i,
    said: "Storage says the token's issuer is not the account's tenant.",
    fix: "The token comes from another tenant: request it in the tenant the storage account's subscription trusts.",
  },
  {
    pattern: /signature validation failed/i,
    said: "Storage could not verify the token's signature (a token from another cloud or a hand-made token).",
    fix: "Storage cannot verify the token: request it from the Entra ID authority of the account's cloud, with a real credential.",
  },
];

/** The known token problem Storage's detail names, if any. */
export function tokenProblemInDetail(detail: string | undefined): (typeof TOKEN_DETAILS)[number] | undefined {
  return detail ? TOKEN_DETAILS.find((k) => k.pattern.test(detail)) : undefined;
}

export function decodeToken(token: string): DecodedToken {
  const parts = token.trim().split(".");
  if (parts.length !== 3 || !parts[1]) {
    return {
      ok: false,
      reason: `the bearer value is not a JWT (expected 3 dot-separated parts, found ${parts.length})`,
    };
  }
  try {
    const payload: unknown = JSON.parse(base64UrlDecode(parts[1]));
    if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
      return { ok: false, reason: "the token's payload is not a JSON object" };
    }
    return { ok: true, claims: payload as TokenClaims };
  } catch {
    return { ok: false, reason: "the token's payload is not valid base64url JSON" };
  }
}

/** The claims worth showing, with times as ISO strings. */
export function visibleClaims(claims: TokenClaims): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of SHOWN_CLAIMS) {
    const v = (claims as Record<string, unknown>)[k];
    if (v === undefined) continue;
    out[k] =
      (k === "nbf" || k === "exp" || k === "iat") && typeof v === "number"
        ? new Date(v * 1000).toISOString()
        : v;
  }
  return out;
}

/** Parses `Bearer authorization_uri=https://login.microsoftonline.com/<tenant>/oauth2/authorize resource_id=https://storage.azure.com`. */
export function parseBearerChallenge(header: string): BearerChallenge | undefined {
  if (!/^\s*Bearer\b/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g)) {
    params[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? "";
  }
  const authorizationUri = params["authorization_uri"];
  let tenant: string | undefined;
  if (authorizationUri) {
    const t = /^https?:\/\/[^/]+\/([^/]+)/i.exec(authorizationUri);
    tenant = t?.[1];
  }
  return { authorizationUri, tenant, resourceId: params["resource_id"] };
}

function normalizeAudience(a: string): string {
  return a.trim().replace(/\/+$/, "").toLowerCase();
}

const PUBLIC_AUDIENCE = "https://storage.azure.com";

/**
 * Audiences Storage accepts for this host: the generic resource, the app id, or the account endpoint. In
 * the sovereign clouds the cloud's own resource (the Azure SDK for Go's cloud configuration asks for it)
 * and https://storage.azure.com, which the Storage SDKs for .NET, Java, Python and JavaScript request in every
 * cloud by default.
 */
export function acceptedAudiences(host: string): string[] {
  const h = host.toLowerCase();
  const accountEndpoint = `https://${h.replace(/-secondary(?=\.)/, "")}`;
  const sovereign = /\.core\.(usgovcloudapi\.net)$/.test(h)
    ? ["https://storage.azure.us"]
    : /\.core\.chinacloudapi\.cn$/.test(h)
      ? ["https://storage.azure.cn"]
      : [];
  return [...sovereign, PUBLIC_AUDIENCE, STORAGE_APP_ID, accountEndpoint].map(normalizeAudience);
}

function tenantOfIssuer(iss: string | undefined): string | undefined {
  if (!iss) return undefined;
  const m = /^https:\/\/(?:sts\.windows\.net|login\.microsoftonline\.com|[^/]+)\/([0-9a-f-]{36})\//i.exec(
    iss,
  );
  return m?.[1]?.toLowerCase();
}

export interface BearerContext {
  token: string;
  host: string;
  protocol: string;
  requestTimeMs?: number;
  requestTimeSource?: string;
  xMsVersion?: string;
  challenge?: BearerChallenge;
  errorDetail?: string;
  /** The request went to the storage emulator (Azurite), whose token checks differ from Azure's. */
  emulator?: boolean;
}

export interface BearerAnalysis {
  claims?: Record<string, unknown>;
  findings: Finding[];
}

const SKEW_TOLERANCE_MS = 5 * 60_000;

export function analyzeBearer(ctx: BearerContext): BearerAnalysis {
  const findings: Finding[] = [];
  const decoded = decodeToken(ctx.token);
  if (!decoded.ok) {
    findings.push({
      id: "bearer-not-jwt",
      severity: "error",
      title: "The bearer token cannot be read",
      detail: `${decoded.reason}. Storage expects a Microsoft Entra access token; check the client attaches the token itself, not an id or a SAS.`,
      decision: "authentication",
    });
    return { findings };
  }
  const claims = decoded.claims;
  const shown = visibleClaims(claims);

  if (ctx.protocol !== "https") {
    findings.push({
      id: "bearer-over-http",
      severity: "error",
      title: "A bearer token was sent over HTTP",
      detail: "Storage accepts OAuth only over HTTPS. Use the https:// endpoint.",
      decision: "authentication",
    });
  }

  const audiences = (Array.isArray(claims.aud) ? claims.aud : claims.aud ? [claims.aud] : []).map(
    normalizeAudience,
  );
  const accepted = acceptedAudiences(ctx.host);
  const challengeAudience = ctx.challenge?.resourceId
    ? normalizeAudience(ctx.challenge.resourceId)
    : undefined;
  if (audiences.length === 0) {
    findings.push({
      id: "bearer-no-audience",
      severity: "error",
      title: "The token has no audience",
      detail: "Request a token for the scope https://storage.azure.com/.default.",
      decision: "authentication",
    });
  } else if (!audiences.some((a) => accepted.includes(a) || a === challengeAudience)) {
    findings.push({
      id: "bearer-wrong-audience",
      severity: "error",
      title: "The token is for another audience",
      detail:
        `The token's aud is ${audiences.join(", ")}, but Storage expects ${challengeAudience ?? accepted[0]}` +
        ` (or the account endpoint). The client requested a token for the wrong resource: request the scope ${accepted[0]}/.default.`,
      decision: "authentication",
    });
  }

  const tokenTenant = (claims.tid ?? tenantOfIssuer(claims.iss))?.toLowerCase();
  const challengeTenant = ctx.challenge?.tenant?.toLowerCase();
  if (
    tokenTenant &&
    challengeTenant &&
    /^[0-9a-f-]{36}$/.test(challengeTenant) &&
    tokenTenant !== challengeTenant
  ) {
    findings.push({
      id: "bearer-wrong-tenant",
      severity: "error",
      title: "The token comes from another tenant",
      detail: `The token's tenant is ${tokenTenant}, but the challenge's authorization_uri names ${challengeTenant}, the tenant that owns the storage account. Acquire the token from that tenant (set the tenant id on the credential).`,
      decision: "authentication",
    });
  }
  const issuerTenant = tenantOfIssuer(claims.iss);
  if (claims.tid && issuerTenant && issuerTenant !== claims.tid.toLowerCase()) {
    findings.push({
      id: "bearer-issuer-mismatch",
      severity: "warning",
      title: "The token's issuer and tenant disagree",
      detail: `iss names tenant ${issuerTenant} but tid is ${claims.tid}: Storage's issuer validation will fail.`,
      decision: "authentication",
    });
  }

  if (ctx.requestTimeMs !== undefined) {
    const at = new Date(ctx.requestTimeMs).toISOString();
    if (typeof claims.exp === "number" && claims.exp * 1000 < ctx.requestTimeMs) {
      const late = Math.round((ctx.requestTimeMs - claims.exp * 1000) / 60_000);
      findings.push({
        id: "bearer-expired",
        severity: "error",
        title: "The token had expired",
        detail: `exp ${new Date(claims.exp * 1000).toISOString()} is ${late} min before the request (${at}, from ${ctx.requestTimeSource}). The client cached a token past its lifetime: let the credential refresh it${late < 10 ? ", and check the client clock" : ""}.`,
        decision: "authentication",
      });
    }
    if (typeof claims.nbf === "number" && claims.nbf * 1000 > ctx.requestTimeMs) {
      const early = Math.round((claims.nbf * 1000 - ctx.requestTimeMs) / 60_000);
      findings.push({
        id: "bearer-not-yet-valid",
        severity: "error",
        title: "The token was not yet valid: clock skew",
        detail: `nbf ${new Date(claims.nbf * 1000).toISOString()} is ${early} min after the request (${at}). The clocks of the machine that sent the request and the token issuer disagree: fix the client clock (NTP).`,
        decision: "authentication",
        clockSkew: true,
      });
    } else if (typeof claims.iat === "number" && claims.iat * 1000 > ctx.requestTimeMs + SKEW_TOLERANCE_MS) {
      findings.push({
        id: "bearer-issued-in-future",
        severity: "warning",
        title: "The token was issued after the request time: clock skew",
        detail: `iat ${new Date(claims.iat * 1000).toISOString()} is later than the request (${at}); the client's clock runs behind.`,
        decision: "authentication",
        clockSkew: true,
      });
    }
  }

  if (!ctx.xMsVersion) {
    findings.push({
      id: "bearer-no-version",
      severity: "error",
      title: "x-ms-version is missing",
      detail: `Bearer tokens need x-ms-version ${MIN_BEARER_VERSION} or later; without it Storage answers "Authentication scheme Bearer is not supported in this version". A library upgrade or a proxy dropped the header.`,
      decision: "authentication",
    });
  } else if (compareText(ctx.xMsVersion, MIN_BEARER_VERSION) < 0) {
    findings.push({
      id: "bearer-old-version",
      severity: "error",
      title: "x-ms-version is too old for bearer tokens",
      detail: `x-ms-version ${ctx.xMsVersion} predates ${MIN_BEARER_VERSION}, the first version that accepts OAuth. Upgrade the client or set a newer version.`,
      decision: "authentication",
    });
  }

  // A delegated token (it has scp) must carry Storage's one delegated permission; .default grants it.
  if (typeof claims.scp === "string" && !claims.scp.split(/\s+/).includes("user_impersonation")) {
    findings.push({
      id: "bearer-missing-scope",
      severity: "error",
      title: "The delegated token lacks Storage's user_impersonation scope",
      detail: `scp is "${claims.scp}": a user token for Storage must carry user_impersonation. The app requested other scopes (or lacks the API permission "Azure Storage / user_impersonation"); request https://storage.azure.com/user_impersonation or https://storage.azure.com/.default. Adding RBAC roles will not help while the scope is missing.`,
      decision: "authentication",
    });
  }

  const v2Issuer = /^https:\/\/login\.microsoftonline\.com\/[^/]+\/v2\.0\/?$/i.test(claims.iss ?? "");
  if (ctx.emulator && v2Issuer && /invalid token issuer/i.test(ctx.errorDetail ?? "")) {
    findings.push({
      id: "bearer-emulator-v2-issuer",
      severity: "error",
      title: "The emulator refuses v2 tokens",
      detail: `The token's issuer is ${claims.iss} (a v2.0 token). Azurite's OAuth accepts only v1 issuers (https://sts.windows.net/<tenant>/), so it answers "Invalid token issuer." for any v2 token; Azure accepts both. Against Azurite use a v1 token (accessTokenAcceptedVersion 1 on the app, or a token for https://storage.azure.com); this says nothing about the token's tenant on Azure.`,
      decision: "authentication",
    });
  }

  if (ctx.errorDetail) {
    for (const known of TOKEN_DETAILS) {
      if (known.pattern.test(ctx.errorDetail)) {
        findings.push({
          id: "bearer-server-detail",
          severity: "info",
          title: "The server's detail",
          detail: known.said,
          decision: "authentication",
        });
      }
    }
  }
  return { claims: shown, findings };
}
