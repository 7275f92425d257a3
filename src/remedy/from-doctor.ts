import type { DoctorReport } from "../doctor/doctor.js";
import type { Incident, PrincipalObservation, Remedy } from "../model/incident.js";
import type { ServiceType } from "../model/storage-request.js";
import { redactUri } from "../redact.js";
import { buildRemedy } from "./build.js";
import { targetOf, withService } from "../doctor/operation.js";

const SCHEME_AUTH: Record<string, string> = {
  SharedKey: "AccountKey",
  SharedKeyLite: "AccountKey",
  SAS: "SAS",
  Bearer: "OAuth",
  Anonymous: "Anonymous",
};

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() ? v.trim() : undefined;
}

/**
 * The remedy for one diagnosed request (`explain`): the doctor's verdict and what the capture shows,
 * as a one-request incident handed to the same remedy builder the log analysis uses.
 */
export function remedyForDoctorReport(r: DoctorReport): Remedy | undefined {
  const svc = r.request.service as ServiceType | undefined;
  const account = r.request.account;
  if (!svc || !account || !r.firstProblem) return undefined;
  let url: URL;
  try {
    url = new URL(r.request.url);
  } catch {
    return undefined;
  }
  // The doctor names the operation with the one request → OperationName map (src/doctor/operation.ts).
  const operation = r.request.operation ?? `${r.request.method.toUpperCase()} request`;
  const at = r.requestTime?.iso ?? new Date(0).toISOString();
  const atMs = Date.parse(at);
  // The same target the doctor resolved: path-style URLs (the emulator, IP hosts) name the account
  // first, which is not part of the object.
  const segments = withService(targetOf(url), svc).segments;
  const st = r.sas?.fields["st"];
  const se = r.sas?.fields["se"];
  const incident: Incident = {
    id: "explain",
    account,
    services: [svc],
    statusCode: r.response?.status ?? 403,
    errorCode: r.response?.errorCode ?? r.firstProblem.id,
    authType: SCHEME_AUTH[r.scheme] ?? r.scheme,
    operations: [operation],
    count: 1,
    firstSeen: at,
    lastSeen: at,
    decision: r.verdict.decision,
    guidance: { summary: r.verdict.summary, steps: r.verdict.steps, avoid: r.verdict.avoid },
    clusters: [{ service: svc, operation, count: 1, firstSeen: at, lastSeen: at }],
    callers: [],
    perMinute: [],
    sampleUris: [redactUri(r.request.url)],
    sampleObjectKeys: segments.length ? [`/${account}/${segments.join("/")}`] : [],
    sasWindows:
      st || se
        ? [
            {
              ...(st ? { st } : {}),
              ...(se ? { se } : {}),
              count: 1,
              expired: se && Date.parse(se) < atMs ? 1 : 0,
              notYetValid: st && Date.parse(st) > atMs ? 1 : 0,
            },
          ]
        : [],
    operationVersions: {},
    changes: [],
    clockSkew: {
      suspected: r.findings.some((f) => f.clockSkew),
      evidence: r.findings.filter((f) => f.clockSkew).map((f) => f.title),
    },
    severity: 0,
  };
  const claims = r.bearer?.claims ?? {};
  const oid = str(claims["oid"]);
  const principals: PrincipalObservation[] = [];
  if (oid) {
    const p: PrincipalObservation = { objectId: oid.toLowerCase(), count: 1 };
    const appId = str(claims["appid"]) ?? str(claims["azp"]);
    const upn = str(claims["upn"]) ?? str(claims["unique_name"]);
    const tid = str(claims["tid"]);
    const idtyp = str(claims["idtyp"]);
    if (appId) p.appId = appId;
    if (upn) p.upn = upn;
    if (tid) p.tenantId = tid;
    if (idtyp) p.type = idtyp === "app" ? "ServicePrincipal" : idtyp === "user" ? "User" : idtyp;
    principals.push(p);
  }
  const container = segments[0];
  const ctx = {
    evidence: {
      containers: container ? { [container.replace(/\(.*$/, "")]: 1 } : {},
      otherContainers: container ? 0 : 1,
      principals,
      authorization: [],
    },
    changes: [],
    ...(r.bearer?.challenge?.tenant ? { tenant: r.bearer.challenge.tenant } : {}),
  };
  const remedy = buildRemedy(incident, ctx);
  // A capture with Storage's string-to-sign proves what logs cannot: the SAS arrived as minted, so its
  // key, not the signer's canonicalisation, is what is wrong.
  if (remedy.kind === "fix-signature" && r.findings.some((f) => f.id === "sas-wrong-key"))
    return withWrongSasKey(remedy);
  return remedy;
}

function withWrongSasKey(remedy: Remedy): Remedy {
  return {
    ...remedy,
    kind: "update-key",
    change:
      "The SAS arrived exactly as minted and Storage signed the same values, yet the signature failed: it was signed with a key Storage does not hold (a regenerated key, the other slot, another account's key). Mint a new SAS with the current key, or better a user delegation SAS, which no key rotation can invalidate.",
    noCommand:
      "The key is a secret: fetch the current one in the tool that mints the SAS (never paste it into a ticket), or mint a user delegation SAS from Microsoft Entra ID.",
    whyNarrowest:
      "Only the SAS is re-minted, with the same permissions and target; no role, firewall rule or account setting changes.",
    wrongIf: [
      "The SAS was altered in transit (a proxy re-encoding it): then Storage's string would differ from the SAS fields, which it does not here.",
      "Regenerating the account keys: every other key-signed SAS and client breaks too.",
    ],
  };
}
