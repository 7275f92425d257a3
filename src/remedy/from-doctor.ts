import type { DoctorReport } from "../doctor/doctor.js";
import type { Incident, PrincipalObservation, Remedy } from "../model/incident.js";
import type { ServiceType } from "../model/storage-request.js";
import { redactUri } from "../redact.js";
import { isHiddenByLogger } from "../doctor/hidden.js";
import { buildRemedy } from "./build.js";
import { targetOf, withService } from "../doctor/operation.js";
import { causeOfSignatureFinding, CHANGED_AFTER_SIGNING, signatureFindingId } from "../signature/diff.js";

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
  // A SAS time a logger hid is unknown: no window is made of it.
  const shown = (v: string | undefined) => (v === undefined || isHiddenByLogger(v) ? undefined : v);
  const st = shown(r.sas?.fields["st"]);
  const se = shown(r.sas?.fields["se"]);
  const incident: Incident = {
    id: "explain",
    account,
    services: [svc],
    statusCode: r.response?.status ?? 403,
    // A refused preflight is CorsPreflightFailure whatever the answer's code said (Azure's has none at times).
    errorCode:
      r.firstProblem.id === "cors-preflight-refused"
        ? "CorsPreflightFailure"
        : (r.response?.errorCode ?? r.firstProblem.id),
    // A hidden Authorization header whose answer named a token problem was a token.
    authType:
      r.firstProblem.id === "bearer-rejected-by-server" ? "OAuth" : (SCHEME_AUTH[r.scheme] ?? r.scheme),
    operations: [operation],
    count: 1,
    firstSeen: at,
    lastSeen: at,
    decision: r.verdict.decision,
    guidance: { summary: r.verdict.summary, steps: r.verdict.steps, avoid: r.verdict.avoid },
    clusters: [{ service: svc, operation, count: 1, firstSeen: at, lastSeen: at }],
    callers:
      r.request.userAgent || r.request.clientIp
        ? [
            {
              ...(r.request.userAgent ? { userAgent: r.request.userAgent } : {}),
              ...(r.request.clientIp ? { ip: r.request.clientIp } : {}),
              count: 1,
              firstSeen: at,
              lastSeen: at,
            },
          ]
        : [],
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
  const wrongKey = sasKeyNotCurrent(r);
  const asSigned = sharedKeyArrivedAsSigned(r);
  const changed = sharedKeyChangedAfterSigning(r);
  // Terraform (its error or debug log) keeps its state as a blob it lists, reads, writes and leases.
  const terraformState =
    svc === "blob" && r.findings.some((f) => f.id === "terraform-settings")
      ? {
          operations: TERRAFORM_STATE_OPERATIONS,
          why: "Terraform lists, reads, writes and leases its state blob in this container",
        }
      : undefined;
  // The emulator's Shared Key refusal without its string-to-sign (the doctor's finding for exactly that).
  const emulatorStringToSignMissing = !!r.emulator && r.firstProblem.id === "sharedkey-signature-rejected";
  const ctx = {
    evidence: {
      containers: container ? { [container.replace(/\(.*$/, "")]: 1 } : {},
      otherContainers: container ? 0 : 1,
      principals,
      authorization: [],
    },
    changes: [],
    fromCapture: true,
    ...(r.bearer?.challenge?.tenant ? { tenant: r.bearer.challenge.tenant } : {}),
    ...(wrongKey ||
    asSigned ||
    changed ||
    r.cors ||
    emulatorStringToSignMissing ||
    r.request.copySource ||
    terraformState
      ? {
          proven: {
            ...(wrongKey ? { sasKeyNotCurrent: wrongKey } : {}),
            ...(asSigned ? { sharedKeyArrivedAsSigned: asSigned } : {}),
            ...(changed ? { sharedKeyChangedAfterSigning: changed } : {}),
            ...(r.cors ? { corsPreflight: r.cors } : {}),
            ...(r.emulator ? { emulator: true } : {}),
            ...(emulatorStringToSignMissing ? { emulatorStringToSignMissing } : {}),
            ...(r.request.copySource
              ? {
                  copySource: {
                    url: r.request.copySource,
                    problem: r.firstProblem.id,
                    title: r.firstProblem.title,
                  },
                }
              : {}),
            ...(terraformState ? { companionOperations: terraformState } : {}),
          },
        }
      : {}),
  };
  return buildRemedy(incident, ctx);
}

/** What Terraform's azurerm backend does with its state blob (and the provider with the blobs it manages). */
const TERRAFORM_STATE_OPERATIONS = [
  "ListBlobs",
  "GetBlobProperties",
  "GetBlob",
  "PutBlob",
  "SetBlobMetadata",
  "AcquireBlobLease",
  "ReleaseBlobLease",
];

/** What the signature diff proved changed after signing, when that is the capture's first problem. */
function sharedKeyChangedAfterSigning(r: DoctorReport): { what: string; detail: string } | undefined {
  const first = r.firstProblem;
  const cause = first ? causeOfSignatureFinding(first.id) : undefined;
  return first && cause && CHANGED_AFTER_SIGNING.has(cause)
    ? { what: first.title, detail: first.detail }
    : undefined;
}

/**
 * The proof that the SAS key is not the account's current one, when the capture holds it: the doctor's
 * sas-wrong-key finding (Storage's string-to-sign holds exactly the SAS's values, yet the signature
 * failed). Logs cannot show this; a capture with the server's string can.
 */
function sasKeyNotCurrent(r: DoctorReport): string | undefined {
  return r.findings.some((f) => f.id === "sas-wrong-key")
    ? "Storage's string-to-sign holds exactly the SAS's values, yet the signature failed"
    : undefined;
}

/**
 * The proof that a Shared Key request arrived as it was signed: the signature diff found Storage's
 * string-to-sign identical to the request's own, so only the key (or the client's signer) can differ.
 */
function sharedKeyArrivedAsSigned(r: DoctorReport): string | undefined {
  return r.findings.some((f) => f.id === signatureFindingId("identical"))
    ? "Storage's string-to-sign is exactly the one the request implies, yet the signature failed"
    : undefined;
}
