import type { DoctorReport } from "../doctor/doctor.js";
import type { Incident, PrincipalObservation, Remedy } from "../model/incident.js";
import type { ServiceType } from "../model/storage-request.js";
import { redactUri } from "../redact.js";
import { buildRemedy } from "./build.js";

const SCHEME_AUTH: Record<string, string> = {
  SharedKey: "AccountKey",
  SharedKeyLite: "AccountKey",
  SAS: "SAS",
  Bearer: "OAuth",
  Anonymous: "Anonymous",
};

/**
 * The OperationName Storage would log for a request (Storage Analytics logged operations), from its
 * method and URL, so `explain` finds the same permissions the log-based remedy does. Undefined when
 * the shape is not one this knows.
 */
export function loggedOperationOf(method: string, url: URL, service: ServiceType): string | undefined {
  const m = method.toUpperCase();
  const q = (k: string) => url.searchParams.get(k)?.toLowerCase();
  const comp = q("comp");
  const restype = q("restype");
  const segments = url.pathname.split("/").filter(Boolean);
  const onObject = segments.length >= 2;
  if (service === "blob") {
    if (comp === "list") return restype === "container" ? "ListBlobs" : "ListContainers";
    if (restype === "container") {
      if (m === "PUT") return comp === "metadata" ? "SetContainerMetadata" : "CreateContainer";
      if (m === "DELETE") return "DeleteContainer";
      return "GetContainerProperties";
    }
    if (!onObject) return undefined;
    if (comp === "block") return "PutBlock";
    if (comp === "blocklist") return m === "GET" ? "GetBlockList" : "PutBlockList";
    if (comp === "lease") return "AcquireBlobLease";
    if (comp === "metadata") return m === "PUT" ? "SetBlobMetadata" : "GetBlobMetadata";
    if (comp === "tags") return m === "PUT" ? "SetBlobTags" : "GetBlobTags";
    if (comp === "appendblock") return "AppendBlock";
    if (comp === "page") return "PutPage";
    if (comp === "properties") return "SetBlobProperties";
    if (m === "GET") return "GetBlob";
    if (m === "HEAD") return "GetBlobProperties";
    if (m === "PUT") return "PutBlob";
    if (m === "DELETE") return "DeleteBlob";
    return undefined;
  }
  if (service === "queue") {
    if (segments[1] === "messages") {
      if (m === "POST") return "PutMessage";
      if (m === "GET") return q("peekonly") === "true" ? "PeekMessages" : "GetMessages";
      if (m === "PUT") return "UpdateMessage";
      if (m === "DELETE") return url.searchParams.has("popreceipt") ? "DeleteMessage" : "ClearMessages";
      return undefined;
    }
    if (comp === "list") return "ListQueues";
    if (m === "PUT") return comp === "metadata" ? "SetQueueMetadata" : "CreateQueue";
    if (m === "DELETE") return "DeleteQueue";
    return "GetQueueMetadata";
  }
  if (service === "table") {
    if (m === "GET" || m === "HEAD") return "QueryEntities";
    if (m === "POST") return "InsertEntity";
    if (m === "PUT") return "UpdateEntity";
    if (m === "MERGE" || m === "PATCH") return "MergeEntity";
    if (m === "DELETE") return "DeleteEntity";
    return undefined;
  }
  if (comp === "list") return "ListFilesAndDirectories";
  if (restype === "directory")
    return m === "PUT" ? "CreateDirectory" : m === "DELETE" ? "DeleteDirectory" : "GetDirectoryProperties";
  if (comp === "range") return "PutRange";
  if (m === "GET") return "GetFile";
  if (m === "HEAD") return "GetFileProperties";
  if (m === "PUT") return "CreateFile";
  if (m === "DELETE") return "DeleteFile";
  return undefined;
}

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
  const operation =
    loggedOperationOf(r.request.method, url, svc) ?? `${r.request.method.toUpperCase()} request`;
  const at = r.requestTime?.iso ?? new Date(0).toISOString();
  const atMs = Date.parse(at);
  const segments = url.pathname
    .split("/")
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
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
