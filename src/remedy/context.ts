import type { ActivityChange } from "../correlate/activity.js";
import { factsOf, type ChangeFacts } from "../correlate/catalog.js";
import type { ChangeCandidate, Incident, RemedyCommand, RemedyEvidence } from "../model/incident.js";
import type { ServiceType } from "../model/storage-request.js";
import { lookup, sh } from "./shell.js";

/** What a remedy is built from besides the incident: its evidence and the activity it was ranked against. */
export interface RemedyContext {
  evidence?: RemedyEvidence;
  /** The same evidence per service, so each service's scope is judged on its own failures. */
  byService?: Partial<Record<ServiceType, RemedyEvidence>>;
  /** Normalised activity changes (src/correlate/activity.ts), to read request bodies of ranked causes. */
  changes: readonly ActivityChange[];
  /** The account's tenant when known (a captured 401's bearer challenge names it). */
  tenant?: string;
  /** Facts one captured request proves and logs cannot (`explain`); absent for log analysis. */
  proven?: ProvenFacts;
  /** The remedy is for one captured request (`explain`): no activity log was read, so no key is known current. */
  fromCapture?: boolean;
}

export interface ProvenFacts {
  /**
   * The SAS was signed with a key that is not the account's current key: Storage's own string-to-sign
   * holds exactly the SAS's values, yet the signature failed. The value says what proved it.
   */
  sasKeyNotCurrent?: string;
  /**
   * A Shared Key request arrived exactly as signed (Storage's string-to-sign is the one the request
   * implies), yet the signature failed: the key the client signs with, or its signing code, differs.
   * The value says what proved it.
   */
  sharedKeyArrivedAsSigned?: string;
  /**
   * A Shared Key request changed after it was signed (Storage's string-to-sign differs from the
   * request's in a way only a change in transit explains): what changed, in the diff's words.
   */
  sharedKeyChangedAfterSigning?: { what: string; detail: string };
  /** The capture was answered by the storage emulator: its account keys are not Azure's. */
  emulator?: boolean;
  /**
   * …and its Shared Key signature failed with no string-to-sign in the capture: Azurite writes it only
   * to its debug log, never into its answer.
   */
  emulatorStringToSignMissing?: boolean;
  /** A browser's refused CORS preflight: what it asked to send, from where. */
  corsPreflight?: { origin: string; method: string; headers: string[] };
  /**
   * A copy from a URL whose source Storage could not read (CannotVerifyCopySource): the source URL the
   * request named (its signature redacted) and the doctor's finding about it.
   */
  copySource?: { url: string; problem: string; title: string };
  /**
   * Operations the same caller runs beside the one that failed, which a role must cover too, and why
   * (Terraform lists, reads, writes and leases its state blob: a role for the failing read alone would
   * fail at the next write).
   */
  companionOperations?: { operations: string[]; why: string };
}

/** The activity change behind a ranked cause, with its request-body facts. */
export function activityOf(
  candidate: ChangeCandidate,
  changes: readonly ActivityChange[],
): { change: ActivityChange; facts: ChangeFacts } | undefined {
  if (candidate.source !== "activity") return undefined;
  const t = Date.parse(candidate.time);
  const change = changes.find(
    (c) =>
      c.timeMs === t &&
      c.operation.toLowerCase() === candidate.operation.toLowerCase() &&
      c.resourceId.toLowerCase() === candidate.resourceId.toLowerCase(),
  );
  return change ? { change, facts: factsOf(change) } : undefined;
}

/** Where the account's ARM id comes from: the logs, an activity event on the account, or a lookup. */
export interface AccountRef {
  /** The ARM id, or a `$(az storage account show …)` lookup that resolves it exactly when run. */
  id: string;
  /** Resource group name, or a lookup. */
  resourceGroup: string;
  known: boolean;
}

export function accountRef(incident: Incident, ctx: RemedyContext): AccountRef {
  const fromLogs = ctx.evidence?.resourceId;
  const suffix = `/providers/microsoft.storage/storageaccounts/${incident.account.toLowerCase()}`;
  const fromActivity = [...incident.changes.map((c) => c.resourceId), ...ctx.changes.map((c) => c.resourceId)]
    .map((r) => r.trim())
    .find((r) => r.toLowerCase().endsWith(suffix));
  const id = fromLogs ?? fromActivity;
  if (id) {
    const rg = /\/resourcegroups\/([^/]+)/i.exec(id)?.[1];
    return { id, resourceGroup: rg ?? lookupRg(incident.account), known: true };
  }
  return {
    id: lookup(`az storage account show --name ${sh(incident.account)} --query id --output tsv`),
    resourceGroup: lookupRg(incident.account),
    known: false,
  };
}

function lookupRg(account: string): string {
  return lookup(`az storage account show --name ${sh(account)} --query resourceGroup --output tsv`);
}

const SERVICE_PATH: Record<ServiceType, [string, string]> = {
  blob: ["blobServices", "containers"],
  queue: ["queueServices", "queues"],
  table: ["tableServices", "tables"],
  file: ["fileServices", "fileshares"],
};

/** A service's ARM child resource type under the account (`blobServices`…). */
export function serviceResourceType(service: ServiceType): string {
  return SERVICE_PATH[service][0];
}

/** The ARM scope of one container, queue, table or share. */
export function containerScope(account: AccountRef, service: ServiceType, container: string): string {
  const [svc, kind] = SERVICE_PATH[service];
  // A lookup is a quoted word; the path is appended as its own (quoted if need be) word, so a name
  // such as $web is never expanded by the shell.
  if (!account.known) return account.id + sh(`/${svc}/default/${kind}/${container}`);
  return sh(`${account.id}/${svc}/default/${kind}/${container}`);
}

/**
 * The containers (queues, tables, shares) the failures hit: the remedy evidence's names, else those of
 * the sample object keys (`/account/container/...`).
 */
export function failingContainers(incident: Incident, evidence: RemedyEvidence | undefined): string[] {
  const names = evidence ? Object.keys(evidence.containers) : [];
  if (names.length) return names;
  return [
    ...new Set(
      incident.sampleObjectKeys.map((k) => k.split("/").filter(Boolean)[1]).filter((x): x is string => !!x),
    ),
  ];
}

export function accountScope(account: AccountRef): string {
  return account.known ? sh(account.id) : account.id;
}

export function command(
  purpose: string,
  line: string,
  placeholders: RemedyCommand["placeholders"] = [],
  risky?: boolean,
): RemedyCommand {
  const c: RemedyCommand = { purpose, command: line, placeholders };
  if (risky) c.risky = true;
  return c;
}

export const fmtUtc = (iso: string): string => {
  const ms = Date.parse(iso);
  return Number.isFinite(ms)
    ? new Date(ms)
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d{3}Z$/, " UTC")
    : iso;
};

export function fmtMinutes(ms: number): string {
  const m = Math.round(Math.abs(ms) / 60_000);
  if (m < 120) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} days`;
}
