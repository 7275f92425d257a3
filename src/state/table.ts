import { createHash } from "node:crypto";
import type { TableClient, TableEntity, TableEntityResult, TransactionAction } from "@azure/data-tables";
import type { PartialResultJson } from "../engine/partial-result.js";
import type { Incident } from "../model/incident.js";
import { redactSecrets, sanitizeOutbound } from "../redact.js";
import type { IncidentQuery, IncidentReader, IncidentRecord } from "./contracts.js";
import { chunk, fitIncident, LEDGER_BUDGET_CHARS, PAYLOAD_BUDGET_CHARS } from "./fit.js";
import {
  byNotificationSeq,
  byOutboxTime,
  ConcurrencyError,
  selectIncidents,
  withNotifications,
  type LifecycleState,
  type OutboxEntry,
  type StoredCandidate,
  type StoredIncident,
  type StoredIncidentRecord,
  type TriageStore,
  type VersionedOutboxEntry,
  type Watermark,
} from "./store.js";

/**
 * TriageStore on Azure Table storage. Layout:
 * - `<prefix>incidents`: one partition per incident (PartitionKey = incident id). RowKey `incident` holds
 *   the record and lifecycle; RowKeys `n-<seq>-<channel>` hold its notifications (outbox + log). Keeping
 *   both in one partition lets an incident update and the notifications it decides commit in a single
 *   entity-group transaction, conditional on the incident's etag.
 * - `<prefix>cursors`: PartitionKey `cursor`, RowKey derived from the cursor name.
 * JSON that may be large is split across `<name>_<i>` properties (see fit.ts). Every incident,
 * notification and candidate is written through the redaction boundary (sanitizeOutbound).
 * The SDK is loaded lazily by `openTableTriageStore` so the function's cold start does not pay for it.
 */
export type TableStoreConnection =
  | { kind: "connection-string"; connectionString: string; tablePrefix: string }
  | { kind: "managed-identity"; tableEndpoint: string; tablePrefix: string };

const INCIDENT_ROW = "incident";
const CURSOR_PARTITION = "cursor";
const CANDIDATE_PARTITION = "candidate";

type Entity = TableEntity<Record<string, unknown>>;
type EntityResult = TableEntityResult<Record<string, unknown>>;

export async function openTableTriageStore(conn: TableStoreConnection): Promise<TableTriageStore> {
  const tables = await import("@azure/data-tables");
  const make = async (table: string): Promise<TableClient> => {
    if (conn.kind === "connection-string") {
      const insecure = /DefaultEndpointsProtocol=http;|TableEndpoint=http:|UseDevelopmentStorage=true/i.test(
        conn.connectionString,
      );
      return tables.TableClient.fromConnectionString(conn.connectionString, table, {
        allowInsecureConnection: insecure,
        retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
      });
    }
    const { DefaultAzureCredential } = await import("@azure/identity");
    return new tables.TableClient(conn.tableEndpoint, table, new DefaultAzureCredential(), {
      allowInsecureConnection: conn.tableEndpoint.startsWith("http://"),
    });
  };
  const store = new TableTriageStore(
    await make(`${conn.tablePrefix}incidents`),
    await make(`${conn.tablePrefix}cursors`),
    tables.odata,
  );
  return store;
}

type OData = (strings: TemplateStringsArray, ...values: unknown[]) => string;

/**
 * The timer's state for reading only (the dashboard's `serve --state CONNECTION_STRING`): an
 * IncidentReader on the same tables, usable before any timer run created them.
 */
export async function openIncidentReader(
  connectionString: string,
  tablePrefix = "triage",
): Promise<{ reader: IncidentReader; close(): Promise<void> }> {
  const store = await openTableTriageStore({ kind: "connection-string", connectionString, tablePrefix });
  return { reader: store, close: () => store.close() };
}

export class TableTriageStore implements TriageStore {
  readonly kind = "table" as const;

  /** The table service endpoint, for messages naming the store (no credential in it). */
  get endpoint(): string {
    return this.incidents.url;
  }

  constructor(
    private readonly incidents: TableClient,
    private readonly cursors: TableClient,
    private readonly odata: OData,
  ) {}

  private initialized: Promise<void> | undefined;

  /** Creates the tables once per store object (workers are reused between invocations). */
  init(): Promise<void> {
    this.initialized ??= Promise.all([createIfMissing(this.incidents), createIfMissing(this.cursors)]).then(
      () => undefined,
      (err: unknown) => {
        this.initialized = undefined;
        throw err;
      },
    );
    return this.initialized;
  }

  async close(): Promise<void> {}

  // ---- cursors ----

  async getWatermark(name: string): Promise<Watermark | undefined> {
    const e = await getOrUndefined(this.cursors, CURSOR_PARTITION, cursorRowKey(name));
    if (!e) return undefined;
    return { value: joinChunks(e, "value"), etag: e.etag };
  }

  async putWatermark(name: string, value: string, etag?: string | null): Promise<string> {
    const entity: Entity = {
      partitionKey: CURSOR_PARTITION,
      rowKey: cursorRowKey(name),
      name,
      ...chunkProps("value", value),
    };
    try {
      if (etag === null) return (await this.cursors.createEntity(entity)).etag ?? "";
      if (typeof etag === "string")
        return (await this.cursors.updateEntity(entity, "Replace", { etag })).etag ?? "";
      return (await this.cursors.upsertEntity(entity, "Replace")).etag ?? "";
    } catch (err) {
      throw asConcurrency(err, `cursor ${name}`);
    }
  }

  // ---- incidents ----

  async loadIncident(id: string): Promise<StoredIncident | undefined> {
    const e = await getOrUndefined(this.incidents, id, INCIDENT_ROW);
    return e ? decodeIncident(e) : undefined;
  }

  async listIncidentStates(filter: { status?: "open" | "resolved" } = {}): Promise<StoredIncident[]> {
    const query = filter.status
      ? this.odata`RowKey eq ${INCIDENT_ROW} and status eq ${filter.status}`
      : this.odata`RowKey eq ${INCIDENT_ROW}`;
    return (await listAll(this.incidents, query)).map(decodeIncident);
  }

  async commitIncident(
    record: StoredIncidentRecord,
    lifecycle: LifecycleState,
    expectedEtag: string | undefined,
    newEntries: OutboxEntry[],
    ledger?: PartialResultJson,
  ): Promise<string> {
    const id = record.incident.id;
    const fitted = fitIncident(record.incident);
    const stored: StoredIncidentRecord = { ...record, incident: fitted.incident };
    const ledgerJson = ledger ? JSON.stringify(sanitizeOutbound(ledger)) : undefined;
    // A ledger too large for the entity is left out: the next run starts a new one (marked trimmed).
    const ledgerFits = ledgerJson !== undefined && ledgerJson.length <= LEDGER_BUDGET_CHARS;
    const life: LifecycleState =
      fitted.trimmed || (ledgerJson !== undefined && !ledgerFits)
        ? { ...lifecycle, trimmed: true }
        : lifecycle;
    const entity = encodeIncident(stored, life);
    if (ledgerFits) Object.assign(entity, chunkProps("ledger", ledgerJson));
    const actions: TransactionAction[] = [
      expectedEtag === undefined ? ["create", entity] : ["update", entity, "Replace", { etag: expectedEtag }],
      ...newEntries.map((e): TransactionAction => ["create", encodeOutbox(e)]),
    ];
    try {
      if (actions.length === 1) {
        if (expectedEtag === undefined) return (await this.incidents.createEntity(entity)).etag ?? "";
        return (await this.incidents.updateEntity(entity, "Replace", { etag: expectedEtag })).etag ?? "";
      }
      const res = await this.incidents.submitTransaction(actions);
      const first = res.getResponseForEntity(INCIDENT_ROW);
      if (first?.etag) return first.etag;
      // Some emulators omit per-entity etags in batch responses: read it back.
      const fresh = await getOrUndefined(this.incidents, id, INCIDENT_ROW);
      return fresh?.etag ?? "";
    } catch (err) {
      throw asConcurrency(err, `incident ${id}`);
    }
  }

  // ---- outbox / notification log ----

  async listOutbox(filter: { outcome?: OutboxEntry["outcome"] }): Promise<VersionedOutboxEntry[]> {
    const query = filter.outcome
      ? this.odata`kind eq ${"notification"} and outcome eq ${filter.outcome}`
      : this.odata`kind eq ${"notification"}`;
    // The service's Date (its clock now) against each entity's Timestamp (its clock at the last write).
    let serverNowMs = NaN;
    const entities = await listAll(this.incidents, query, (date) => {
      serverNowMs = Date.parse(date);
    });
    const out: VersionedOutboxEntry[] = entities.map((e) => {
      const v: VersionedOutboxEntry = { entry: decodeOutbox(e), etag: e.etag };
      const writtenMs = Date.parse(String(e.timestamp ?? ""));
      // The Date header has one-second resolution: never below zero.
      if (Number.isFinite(serverNowMs) && Number.isFinite(writtenMs))
        v.sinceWriteMs = Math.max(0, serverNowMs - writtenMs);
      return v;
    });
    return out.sort((a, b) => byOutboxTime(a.entry, b.entry));
  }

  async updateOutbox(entry: OutboxEntry, etag: string): Promise<string> {
    try {
      return (await this.incidents.updateEntity(encodeOutbox(entry), "Replace", { etag })).etag ?? "";
    } catch (err) {
      throw asConcurrency(err, `notification ${entry.notificationId}`);
    }
  }

  async notificationsOf(incidentId: string): Promise<OutboxEntry[]> {
    const query = this.odata`PartitionKey eq ${incidentId} and kind eq ${"notification"}`;
    const out: OutboxEntry[] = (await listAll(this.incidents, query)).map(decodeOutbox);
    return out.sort(byNotificationSeq);
  }

  // ---- below-threshold candidates (cursors table, partition "candidate") ----

  async listCandidates(): Promise<StoredCandidate[]> {
    const filter = this.odata`PartitionKey eq ${CANDIDATE_PARTITION}`;
    return (await listAll(this.cursors, filter)).map((r) => {
      const c: StoredCandidate = {
        incident: JSON.parse(joinChunks(r, "incident")) as Incident,
        etag: r.etag,
      };
      if (r.ledgerChunks) c.ledger = JSON.parse(joinChunks(r, "ledger")) as PartialResultJson;
      return c;
    });
  }

  async putCandidate(
    incident: Incident,
    etag: string | undefined,
    ledger?: PartialResultJson,
  ): Promise<string> {
    const fitted = fitIncident(incident).incident;
    const ledgerJson = ledger ? JSON.stringify(sanitizeOutbound(ledger)) : "";
    const entity: Entity = {
      partitionKey: CANDIDATE_PARTITION,
      rowKey: incident.id,
      ...chunkProps("incident", JSON.stringify(sanitizeOutbound(fitted))),
      ...(ledgerJson && ledgerJson.length <= LEDGER_BUDGET_CHARS ? chunkProps("ledger", ledgerJson) : {}),
    };
    try {
      if (etag === undefined) return (await this.cursors.createEntity(entity)).etag ?? "";
      return (await this.cursors.updateEntity(entity, "Replace", { etag })).etag ?? "";
    } catch (err) {
      throw asConcurrency(err, `candidate ${incident.id}`);
    }
  }

  async deleteCandidate(id: string, etag: string): Promise<void> {
    try {
      await this.cursors.deleteEntity(CANDIDATE_PARTITION, id, { etag });
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw asConcurrency(err, `candidate ${id}`);
    }
  }

  // ---- IncidentReader ----

  async list(query: IncidentQuery): Promise<{ total: number; items: IncidentRecord[] }> {
    const all = await this.listIncidentStates(query.status ? { status: query.status } : {});
    const page = selectIncidents(
      all.map((s) => s.record),
      query,
    );
    const items = await Promise.all(
      page.items.map(async (r) => withNotifications(r, await this.notificationsOf(r.incident.id))),
    );
    return { total: page.total, items };
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const s = await this.loadIncident(id);
    if (!s) return undefined;
    return withNotifications(s.record, await this.notificationsOf(id));
  }
}

// ---- encoding ----

function chunkProps(name: string, text: string): Record<string, unknown> {
  const parts = chunk(text);
  const props: Record<string, unknown> = { [`${name}Chunks`]: parts.length };
  parts.forEach((p, i) => (props[`${name}_${i}`] = p));
  return props;
}

function joinChunks(e: Record<string, unknown>, name: string): string {
  const n = Number(e[`${name}Chunks`] ?? 0);
  let s = "";
  for (let i = 0; i < n; i++) s += String(e[`${name}_${i}`] ?? "");
  return s;
}

function encodeIncident(raw: StoredIncidentRecord, rawLifecycle: LifecycleState): Entity {
  const r = sanitizeOutbound(raw);
  const lifecycle = sanitizeOutbound(rawLifecycle);
  const { incident, ...rest } = r;
  const e: Entity = {
    partitionKey: incident.id,
    rowKey: INCIDENT_ROW,
    kind: "incident",
    status: r.status,
    account: incident.account,
    errorCode: incident.errorCode,
    decision: incident.decision,
    firstSeen: incident.firstSeen,
    lastSeen: incident.lastSeen,
    meta: JSON.stringify(rest),
    lifecycle: JSON.stringify(lifecycle),
    ...chunkProps("incident", JSON.stringify(incident)),
  };
  return e;
}

function decodeIncident(e: EntityResult): StoredIncident {
  const meta = JSON.parse(String(e.meta)) as Omit<StoredIncidentRecord, "incident">;
  const s: StoredIncident = {
    record: { ...meta, incident: JSON.parse(joinChunks(e, "incident")) },
    lifecycle: JSON.parse(String(e.lifecycle)) as LifecycleState,
    etag: e.etag,
  };
  if (e.ledgerChunks) s.ledger = JSON.parse(joinChunks(e, "ledger")) as PartialResultJson;
  return s;
}

function outboxRowKey(e: Pick<OutboxEntry, "seq" | "channel">): string {
  return `n-${String(e.seq).padStart(8, "0")}-${e.channel}`;
}

function encodeOutbox(raw: OutboxEntry): Entity {
  const o = sanitizeOutbound(raw);
  const { payload, ...rest } = o;
  const payloadJson = JSON.stringify(payload);
  if (payloadJson.length > PAYLOAD_BUDGET_CHARS) {
    throw new Error(
      `notification ${o.notificationId} payload is ${payloadJson.length} characters; the limit is ${PAYLOAD_BUDGET_CHARS}`,
    );
  }
  const e: Entity = {
    partitionKey: o.incidentId,
    rowKey: outboxRowKey(o),
    kind: "notification",
    outcome: o.outcome,
    meta: JSON.stringify(rest),
    ...chunkProps("payload", payloadJson),
  };
  return e;
}

function decodeOutbox(e: EntityResult): OutboxEntry {
  const meta = JSON.parse(String(e.meta)) as Omit<OutboxEntry, "payload">;
  return { ...meta, payload: JSON.parse(joinChunks(e, "payload")) };
}

function cursorRowKey(name: string): string {
  // RowKeys forbid / \ # ? and control characters; cursor names are blob paths and the like.
  const b64 = Buffer.from(name, "utf8").toString("base64url");
  return b64.length <= 512 ? b64 : "h-" + createHash("sha256").update(name).digest("hex");
}

// ---- SDK helpers ----

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: number; response?: { status?: number } };
  return e?.statusCode ?? e?.response?.status;
}

function asConcurrency(err: unknown, what: string): Error {
  const status = statusOf(err);
  if (status === 412 || status === 409)
    return new ConcurrencyError(`${what} changed concurrently (HTTP ${status})`);
  if (err instanceof Error) {
    err.message = redactSecrets(err.message);
    return err;
  }
  return new Error(redactSecrets(String(err)));
}

async function getOrUndefined(
  client: TableClient,
  pk: string,
  rk: string,
): Promise<EntityResult | undefined> {
  try {
    return (await client.getEntity<Record<string, unknown>>(pk, rk)) as EntityResult;
  } catch (err) {
    // 404: no such entity, or no such table yet (nothing was ever written).
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** All entities matching a filter; a table not created yet (no run so far) reads as empty. */
async function listAll(
  client: TableClient,
  filter: string,
  onDate?: (date: string) => void,
): Promise<EntityResult[]> {
  const out: EntityResult[] = [];
  const options: Parameters<TableClient["listEntities"]>[0] = { queryOptions: { filter } };
  if (onDate) {
    options.onResponse = (raw) => {
      const date = raw.headers.get("date");
      if (date) onDate(date);
    };
  }
  try {
    for await (const e of client.listEntities<Record<string, unknown>>(options)) {
      out.push(e as EntityResult);
    }
  } catch (err) {
    if (statusOf(err) === 404) return [];
    throw err;
  }
  return out;
}

async function createIfMissing(client: TableClient): Promise<void> {
  try {
    await client.createTable();
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
}
