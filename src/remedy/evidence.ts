import type { AuthorizationObservation, PrincipalObservation, RemedyEvidence } from "../model/incident.js";
import type { StorageRequest } from "../model/storage-request.js";
import { compareText } from "../order.js";

/** Caps per cluster: the evidence grows with clusters, never with rows. */
export const EVIDENCE_LIMITS = { containers: 20, principals: 20, authorization: 20 } as const;

const MAX_FIELD = 512;
const clip = (s: string): string => (s.length > MAX_FIELD ? s.slice(0, MAX_FIELD) : s);

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() ? clip(v.trim()) : undefined;
}

/** The storage account's ARM id from a logged _ResourceId (service sub-resource stripped). */
export function accountResourceIdOf(resourceId: string | undefined): string | undefined {
  if (!resourceId) return undefined;
  const m =
    /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.storage\/storageaccounts\/[^/]+)/i.exec(
      resourceId.trim(),
    );
  return m ? m[1] : undefined;
}

/** Container, queue, table or share of an ObjectKey `/account/container/…` (table entities stripped). */
export function containerOf(objectKey: string | undefined): string | undefined {
  if (!objectKey) return undefined;
  const seg = secondSegment(objectKey);
  if (!seg) return undefined;
  const paren = seg.indexOf("(");
  const name = paren > 0 ? seg.slice(0, paren) : seg;
  return name ? clip(name) : undefined;
}

/** The second non-empty `/`-separated segment, found without splitting (it runs for every 401/403). */
function secondSegment(path: string): string | undefined {
  let segments = 0;
  let i = 0;
  while (i < path.length) {
    if (path.charCodeAt(i) === 47) {
      i++;
      continue;
    }
    let end = path.indexOf("/", i);
    if (end < 0) end = path.length;
    if (++segments === 2) return path.slice(i, end);
    i = end;
  }
  return undefined;
}

interface AuthEntry {
  action?: string;
  result?: string;
  reason?: string;
  roleAssignmentId?: string;
  roleDefinitionId?: string;
  denyAssignmentId?: string;
  principals: Array<{ id?: string; type?: string }>;
}

/** A field of a logged authorization entry: camel case in archives, Pascal case in Log Analytics. */
function fieldOf(o: Record<string, unknown>, camel: string, pascal: string): unknown {
  return o[camel] ?? o[pascal];
}

/** AuthorizationDetails / identity.authorization[] as logged: an array of entries (or one entry). */
function loggedEntriesOf(details: unknown): Array<Record<string, unknown>> {
  const list = Array.isArray(details) ? details : details && typeof details === "object" ? [details] : [];
  return list.filter((raw): raw is Record<string, unknown> => !!raw && typeof raw === "object");
}

/** What keys a logged entry (blank fields absent): all of it but its principals. */
function entryFieldsOf(o: Record<string, unknown>): Omit<AuthEntry, "principals"> {
  const e: Omit<AuthEntry, "principals"> = {};
  const action = str(fieldOf(o, "action", "Action"));
  const result = str(fieldOf(o, "result", "Result"));
  const reason = str(fieldOf(o, "reason", "Reason"));
  const ra = str(fieldOf(o, "roleAssignmentId", "RoleAssignmentId"));
  const rd = str(fieldOf(o, "roleDefinitionId", "RoleDefinitionId"));
  const da = str(fieldOf(o, "denyAssignmentId", "DenyAssignmentId"));
  if (action) e.action = action;
  if (result) e.result = result;
  if (reason) e.reason = reason;
  if (ra) e.roleAssignmentId = ra;
  if (rd) e.roleDefinitionId = rd;
  if (da) e.denyAssignmentId = da;
  return e;
}

/** The entries of AuthorizationDetails with their principals (ids lower-cased). */
export function authorizationEntriesOf(details: unknown): AuthEntry[] {
  return loggedEntriesOf(details).map((o) => {
    const listed = fieldOf(o, "principals", "Principals");
    const principals: AuthEntry["principals"] = [];
    if (Array.isArray(listed))
      for (const p of listed as unknown[]) {
        if (!p || typeof p !== "object") continue;
        const q = p as Record<string, unknown>;
        const pp: { id?: string; type?: string } = {};
        const id = str(fieldOf(q, "id", "Id"));
        const type = str(fieldOf(q, "type", "Type"));
        if (id) pp.id = id.toLowerCase();
        if (type) pp.type = type;
        principals.push(pp);
      }
    return { principals, ...entryFieldsOf(o) };
  });
}

/** An authorization entry's key: its fields joined, an absent one empty (as `join` writes undefined). */
function authKey(a: Omit<AuthEntry, "principals">): string {
  return [a.action, a.result, a.reason, a.roleAssignmentId, a.roleDefinitionId, a.denyAssignmentId].join(
    "\u0001",
  );
}

/** Bounded per-cluster accumulator of RemedyEvidence; the first values seen are kept, later ones counted. */
export class EvidenceAccumulator {
  private resourceId: string | undefined;
  private readonly containers = new Map<string, number>();
  private otherContainers = 0;
  private readonly principals = new Map<string, PrincipalObservation>();
  private readonly authorization = new Map<string, AuthorizationObservation>();

  observe(r: StorageRequest): void {
    if (!this.resourceId) this.resourceId = accountResourceIdOf(r.resourceId);
    const c = containerOf(r.objectKey);
    if (!c) this.otherContainers++;
    else {
      const seen = this.containers.get(c);
      if (seen !== undefined) this.containers.set(c, seen + 1);
      else if (this.containers.size < EVIDENCE_LIMITS.containers) this.containers.set(c, 1);
      else this.otherContainers++;
    }
    const details = r.authorizationDetails;
    const oid = r.requesterObjectId?.trim().toLowerCase();
    if (oid) {
      let p = this.principals.get(oid);
      if (!p && this.principals.size < EVIDENCE_LIMITS.principals) {
        p = { objectId: clip(oid), count: 0 };
        this.principals.set(oid, p);
      }
      if (p) {
        p.count++;
        // Blank values count as not logged (never an empty app id), as the Log Analytics query reads them.
        const appId = p.appId ?? str(r.requesterAppId);
        const tenantId = p.tenantId ?? str(r.requesterTenantId);
        const upn = p.upn ?? str(r.requesterUpn);
        if (appId) p.appId = appId;
        if (tenantId) p.tenantId = tenantId;
        if (upn) p.upn = upn;
        if (!p.type && details !== undefined) {
          const t = authorizationEntriesOf(details)
            .flatMap((e) => e.principals)
            .find((x) => x.id === oid && x.type)?.type;
          if (t) p.type = t;
        }
      }
    }
    if (details !== undefined) this.countAuthorization(details);
  }

  /**
   * Counts each entry of a row's authorization that has an action and a result, by its key: its
   * principals are not read, and an observation is made only for a key not seen before (a 403's details
   * were some 5% of clustering it when every row built its entries whole).
   */
  private countAuthorization(details: unknown): void {
    for (const o of loggedEntriesOf(details)) {
      const e = entryFieldsOf(o);
      if (!e.action || !e.result) continue;
      const k = authKey(e);
      const seen = this.authorization.get(k);
      if (seen) seen.count++;
      else if (this.authorization.size < EVIDENCE_LIMITS.authorization) {
        const obs: AuthorizationObservation = { action: e.action, result: e.result, count: 1 };
        if (e.reason) obs.reason = e.reason;
        if (e.roleAssignmentId) obs.roleAssignmentId = e.roleAssignmentId;
        if (e.roleDefinitionId) obs.roleDefinitionId = e.roleDefinitionId;
        if (e.denyAssignmentId) obs.denyAssignmentId = e.denyAssignmentId;
        this.authorization.set(k, obs);
      }
    }
  }

  snapshot(): RemedyEvidence {
    const ev: RemedyEvidence = {
      containers: Object.fromEntries([...this.containers].sort(([a], [b]) => compareText(a, b))),
      otherContainers: this.otherContainers,
      principals: sortPrincipals([...this.principals.values()].map((p) => ({ ...p }))),
      authorization: sortAuthorization([...this.authorization.values()].map((a) => ({ ...a }))),
    };
    if (this.resourceId) ev.resourceId = this.resourceId;
    merged.add(ev);
    return ev;
  }
}

function sortPrincipals(list: PrincipalObservation[]): PrincipalObservation[] {
  return list.sort((a, b) => b.count - a.count || compareText(a.objectId, b.objectId));
}

function sortAuthorization(list: AuthorizationObservation[]): AuthorizationObservation[] {
  return list.sort((a, b) => b.count - a.count || compareText(authKey(a), authKey(b)));
}

/**
 * Merge of evidence from several partials (or clusters), order-independent: counts summed, the
 * `cap` largest kept (the rest counted as other containers or dropped for principals/authorization),
 * the smallest resource id kept.
 */
export function mergeEvidence(parts: ReadonlyArray<RemedyEvidence | undefined>): RemedyEvidence | undefined {
  const present = parts.filter((p): p is RemedyEvidence => p !== undefined);
  if (present.length === 0) return undefined;
  // Most incidents have one cluster, whose evidence a merge would only copy.
  if (present.length === 1 && merged.has(present[0]!)) return present[0];
  const containers = new Map<string, number>();
  let other = 0;
  const principals = new Map<string, PrincipalObservation>();
  const authorization = new Map<string, AuthorizationObservation>();
  let resourceId: string | undefined;
  for (const p of present) {
    if (p.resourceId && (!resourceId || p.resourceId.toLowerCase() < resourceId.toLowerCase()))
      resourceId = p.resourceId;
    for (const [c, n] of Object.entries(p.containers)) containers.set(c, (containers.get(c) ?? 0) + n);
    other += p.otherContainers;
    for (const pr of p.principals) {
      const e = principals.get(pr.objectId);
      if (!e) {
        principals.set(pr.objectId, { ...pr });
        continue;
      }
      e.count += pr.count;
      e.appId ??= pr.appId;
      e.tenantId ??= pr.tenantId;
      e.upn ??= pr.upn;
      e.type ??= pr.type;
      for (const k of ["appId", "tenantId", "upn", "type"] as const) if (e[k] === undefined) delete e[k];
    }
    for (const a of p.authorization) {
      const k = authKey(a);
      const e = authorization.get(k);
      if (e) e.count += a.count;
      else authorization.set(k, { ...a });
    }
  }
  const rankedContainers = [...containers].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
  for (const [, n] of rankedContainers.slice(EVIDENCE_LIMITS.containers)) other += n;
  const out: RemedyEvidence = {
    containers: Object.fromEntries(
      rankedContainers.slice(0, EVIDENCE_LIMITS.containers).sort(([a], [b]) => compareText(a, b)),
    ),
    otherContainers: other,
    principals: sortPrincipals([...principals.values()]).slice(0, EVIDENCE_LIMITS.principals),
    authorization: sortAuthorization([...authorization.values()]).slice(0, EVIDENCE_LIMITS.authorization),
  };
  if (resourceId) out.resourceId = resourceId;
  merged.add(out);
  return out;
}

/**
 * Evidence that is its own merge: a snapshot (its caps are the merge's, its lists already in the merge's
 * order) or a merge's output. Merging one of them alone hands it back. Evidence from elsewhere (a
 * thread's or a state store's copy, Log Analytics) is merged even alone.
 */
const merged = new WeakSet<RemedyEvidence>();
