import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import { openIncidentReader, openTableTriageStore, type TableTriageStore } from "../../src/state/table.js";
import { ConcurrencyError, type OutboxEntry, type StoredIncidentRecord } from "../../src/state/store.js";
import { fixtureIncident, minutes } from "./fixtures.js";
import { MemoryTriageStore } from "../../src/state/memory.js";
import type { TriageStore } from "../../src/state/store.js";
import { TimelineSource } from "./fixture-source.js";
import { harness } from "./harness.js";

/** The Table store against Azurite (real SDK, real HTTP), and the same contract checks on the memory store. */
let azurite: AzuriteInstance;
let table: TableTriageStore;
let prefixSeq = 0;

async function freshTableStore(): Promise<TableTriageStore> {
  const s = await openTableTriageStore({
    kind: "connection-string",
    connectionString: azurite.connectionString,
    tablePrefix: `t${Date.now().toString(36)}${prefixSeq++}`,
  });
  await s.init();
  return s;
}

beforeAll(async () => {
  azurite = await startAzurite();
  table = await freshTableStore();
});
afterAll(async () => {
  await azurite?.stop();
});

const record = (account = "contosodata", errorCode = "AuthenticationFailed"): StoredIncidentRecord => ({
  incident: fixtureIncident({ account, errorCode, perMinute: minutes("2026-11-22T10:00:00Z", [3, 4]) }),
  status: "open",
  openedAt: "2026-11-22T10:05:00.000Z",
  updatedAt: "2026-11-22T10:05:00.000Z",
});

const entry = (incidentId: string, seq: number, channel: "teams" | "webhook" = "teams"): OutboxEntry => ({
  incidentId,
  notificationId: `${incidentId}-${seq}`,
  seq,
  channel,
  reason: "first-detection",
  detail: "7 failures",
  at: "2026-11-22T10:05:00.000Z",
  outcome: "pending",
  attempts: 0,
  payload: { hello: "world", big: "x".repeat(50_000) },
});

describe.each([
  ["table (Azurite)", () => freshTableStore()],
  ["memory", async () => new MemoryTriageStore() as TriageStore],
])("%s store contract", (_name, make) => {
  it("creates once: a second create loses with ConcurrencyError", async () => {
    const s = await make();
    const r = record();
    await s.commitIncident(r, { seq: 1 }, undefined, [entry(r.incident.id, 1)]);
    await expect(s.commitIncident(r, { seq: 1 }, undefined, [])).rejects.toBeInstanceOf(ConcurrencyError);
  });

  it("a stale etag loses, atomically: its notifications are not written", async () => {
    const s = await make();
    const r = record();
    await s.commitIncident(r, { seq: 0 }, undefined, []);
    const read = (await s.loadIncident(r.incident.id))!;
    await s.commitIncident(read.record, { seq: 1 }, read.etag, [entry(r.incident.id, 1)]);
    await expect(
      s.commitIncident(read.record, { seq: 1 }, read.etag, [entry(r.incident.id, 2)]),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    const log = await s.notificationsOf(r.incident.id);
    expect(log.map((e) => e.seq)).toEqual([1]);
    // Large payloads round-trip through chunked properties.
    expect((log[0]!.payload as { big: string }).big).toHaveLength(50_000);
  });

  it("outbox updates are conditional", async () => {
    const s = await make();
    const r = record();
    await s.commitIncident(r, { seq: 1 }, undefined, [
      entry(r.incident.id, 1),
      entry(r.incident.id, 1, "webhook"),
    ]);
    const pending = await s.listOutbox({ outcome: "pending" });
    const mine = pending.filter((p) => p.entry.incidentId === r.incident.id);
    expect(mine).toHaveLength(2);
    const { entry: e, etag } = mine[0]!;
    await s.updateOutbox({ ...e, outcome: "sent", sentAt: "2026-11-22T10:06:00.000Z" }, etag);
    await expect(s.updateOutbox({ ...e, outcome: "failed" }, etag)).rejects.toBeInstanceOf(ConcurrencyError);
    const after = await s.listOutbox({ outcome: "pending" });
    expect(after.filter((p) => p.entry.incidentId === r.incident.id)).toHaveLength(1);
  });

  it("watermarks: create-if-absent and compare-and-set", async () => {
    const s = await make();
    const name = "la/ingestion/11111111-2222-3333-4444-555555555555";
    expect(await s.getWatermark(name)).toBeUndefined();
    const e1 = await s.putWatermark(name, "2026-11-22T10:00:00Z", null);
    await expect(s.putWatermark(name, "x", null)).rejects.toBeInstanceOf(ConcurrencyError);
    await s.putWatermark(name, "2026-11-22T10:05:00Z", e1);
    await expect(s.putWatermark(name, "y", e1)).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await s.getWatermark(name))?.value).toBe("2026-11-22T10:05:00Z");
  });

  it("candidates: create-if-absent, compare-and-set, delete; invisible to the reader", async () => {
    const s = await make();
    const inc = record("candidacct").incident;
    const e1 = await s.putCandidate(inc, undefined);
    await expect(s.putCandidate(inc, undefined)).rejects.toBeInstanceOf(ConcurrencyError);
    const e2 = await s.putCandidate({ ...inc, count: 9 }, e1);
    await expect(s.putCandidate(inc, e1)).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await s.listCandidates()).map((c) => c.incident.count)).toEqual([9]);
    expect((await s.list({})).total).toBe(0);
    await expect(s.deleteCandidate(inc.id, e1)).rejects.toBeInstanceOf(ConcurrencyError);
    await s.deleteCandidate(inc.id, e2);
    expect(await s.listCandidates()).toEqual([]);
  });

  it("IncidentReader: filters, ordering, paging and notification history", async () => {
    const s = await make();
    const a = record("alpha", "AuthenticationFailed");
    const b = record("beta", "AuthorizationPermissionMismatch");
    b.incident = { ...b.incident, authType: "OAuth", decision: "rbac", lastSeen: "2026-11-22T11:00:00.000Z" };
    const c = {
      ...record("gamma", "AuthorizationFailure"),
      status: "resolved" as const,
      resolvedAt: "2026-11-22T12:00:00.000Z",
    };
    for (const r of [a, b, c]) await s.commitIncident(r, { seq: 1 }, undefined, [entry(r.incident.id, 1)]);
    const all = await s.list({});
    expect(all.total).toBe(3);
    expect(all.items[0]!.incident.account).toBe("beta"); // latest activity first
    expect((await s.list({ status: "resolved" })).items.map((i) => i.incident.account)).toEqual(["gamma"]);
    expect((await s.list({ decision: "rbac" })).items.map((i) => i.incident.account)).toEqual(["beta"]);
    expect((await s.list({ account: "ALPHA" })).total).toBe(1);
    expect((await s.list({ errorCode: "authorizationfailure" })).total).toBe(1);
    expect((await s.list({ from: "2026-11-22T10:30:00Z" })).items.map((i) => i.incident.account)).toEqual([
      "beta",
    ]);
    expect((await s.list({ to: "2026-11-22T09:00:00Z" })).total).toBe(0);
    const page = await s.list({ offset: 1, limit: 1 });
    expect(page.total).toBe(3);
    expect(page.items).toHaveLength(1);
    const got = await s.get(a.incident.id);
    expect(got?.notifications).toEqual([
      {
        at: "2026-11-22T10:05:00.000Z",
        reason: "first-detection",
        detail: "7 failures",
        channel: "teams",
        outcome: "pending",
        attempts: 0,
      },
    ]);
    expect(await s.get("inc-missing")).toBeUndefined();
  });
});

describe("read-only access for the dashboard", () => {
  it("reads as empty before any timer run created the tables", async () => {
    const { reader, close } = await openIncidentReader(
      azurite.connectionString,
      `never${Date.now().toString(36)}`,
    );
    expect(await reader.list({})).toEqual({ total: 0, items: [] });
    expect(await reader.get("inc-000000000000")).toBeUndefined();
    await close();
  });
});

describe("table store size limits", () => {
  it("stores a huge incident in chunks, trimming deliberately when it exceeds the entity budget", async () => {
    const perMinute = minutes(
      "2026-11-20T10:00:00Z",
      Array.from({ length: 2880 }, (_, k) => (k % 7) + 1),
    );
    const huge = fixtureIncident({
      perMinute,
      callers: Array.from({ length: 50 }, (_, k) => ({
        ip: `10.0.0.${k}`,
        userAgent: "U".repeat(8_000),
        count: 100 - k,
      })),
    });
    const r: StoredIncidentRecord = {
      incident: huge,
      status: "open",
      openedAt: huge.firstSeen,
      updatedAt: huge.lastSeen,
    };
    expect(JSON.stringify(huge).length).toBeGreaterThan(360_000);
    await table.commitIncident(r, { seq: 0 }, undefined, []);
    const back = (await table.loadIncident(huge.id))!;
    expect(back.lifecycle.trimmed).toBe(true);
    expect(back.record.incident.count).toBe(huge.count);
    expect(back.record.incident.firstSeen).toBe(huge.firstSeen);
    expect(back.record.incident.callers.length).toBeLessThan(50);
    expect(back.record.incident.perMinute.at(-1)).toEqual(perMinute.at(-1));

    const medium = fixtureIncident({ account: "medium", perMinute: perMinute.slice(0, 2000) });
    expect(JSON.stringify(medium).length).toBeGreaterThan(30_000); // more than one property's worth
    await table.commitIncident({ ...r, incident: medium }, { seq: 0 }, undefined, []);
    const m = (await table.loadIncident(medium.id))!;
    expect(m.lifecycle.trimmed).toBeUndefined();
    expect(m.record.incident).toEqual(medium);
  });
});

describe("timer cycle on Table storage", () => {
  it("two overlapping runs against Azurite notify exactly once per channel", async () => {
    const store = await freshTableStore();
    const source = new TimelineSource([
      { account: "contosodata", perMinute: minutes("2026-11-22T10:00:00Z", [5, 5, 5]) },
      {
        account: "contosodata",
        errorCode: "AuthorizationPermissionMismatch",
        authType: "OAuth",
        perMinute: minutes("2026-11-22T10:02:00Z", [9, 9]),
      },
    ]);
    const h = await harness(store, source);
    try {
      const reports = await Promise.all([
        h.run("2026-11-22T10:10:00Z"),
        h.run("2026-11-22T10:10:00Z"),
        h.run("2026-11-22T10:10:00Z"),
      ]);
      expect(reports.reduce((n, r) => n + r.notifications.decided, 0)).toBe(4);
      expect([...h.teams.accepted().values()]).toEqual([1, 1]);
      expect([...h.hook.accepted().values()]).toEqual([1, 1]);
      const again = await h.run("2026-11-22T10:10:00Z");
      expect(again.notifications.decided).toBe(0);
      const listed = await store.list({});
      expect(listed.total).toBe(2);
      for (const rec of listed.items) expect(rec.notifications.every((n) => n.outcome === "sent")).toBe(true);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });
});

describe("table store redaction boundary", () => {
  it("writes no credential and no raw control character, whatever the caller hands it", async () => {
    const { TableClient } = await import("@azure/data-tables");
    const prefix = `r${Date.now().toString(36)}${prefixSeq++}`;
    const s = await openTableTriageStore({
      kind: "connection-string",
      connectionString: azurite.connectionString,
      tablePrefix: prefix,
    });
    await s.init();
    const canary = "QtableCanary0123456789abcdef";
    const r = record();
    // Straight to the store, not through the engine: the store's own write function must sanitize.
    r.incident.callers = [
      {
        ip: "10.1.2.3",
        userAgent: `app/1.0 SharedKey stcontosodata:${canary}=\u0000\u001b[2J`,
        count: 7,
        firstSeen: "2026-11-22T10:00:00.000Z",
        lastSeen: "2026-11-22T10:01:00.000Z",
      },
    ];
    r.incident.sampleUris = [`https://a.blob.core.windows.net/c?x=1%26sig%3D${canary}%26se%3D1`];
    const e = entry(r.incident.id, 1);
    e.payload = { text: `Bearer ${canary}`, conn: `AccountKey=${canary};EndpointSuffix=x` };
    e.lastError = `HTTP 500: The MAC signature found in the HTTP request '${canary}' is not the same`;
    await s.commitIncident(r, { seq: 1 }, undefined, [e]);
    await s.putCandidate({ ...r.incident, id: "inc-candidate01" }, undefined);

    const raw: string[] = [];
    for (const table of [`${prefix}incidents`, `${prefix}cursors`]) {
      const client = TableClient.fromConnectionString(azurite.connectionString, table, {
        allowInsecureConnection: true,
      });
      for await (const entity of client.listEntities()) raw.push(JSON.stringify(entity));
    }
    const all = raw.join("\n");
    expect(raw.length).toBe(3);
    expect(all).toContain("REDACTED");
    expect(all).not.toContain(canary);
    // Read back through the store (its JSON decoded): the control characters are visible text now.
    const back = await s.loadIncident(r.incident.id);
    const ua = back!.record.incident.callers[0]!.userAgent!;
    expect(ua).toContain("\\u0000\\u001b[2J");
    const texts: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === "string") texts.push(v);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk([back, await s.listOutbox({}), await s.listCandidates()]);
    expect(texts.length).toBeGreaterThan(20);
    // eslint-disable-next-line no-control-regex -- finding raw control characters is the point
    expect(texts.filter((t) => /[\u0000-\u0008\u000b-\u001f\u007f]/.test(t))).toEqual([]);
    expect(JSON.stringify(back)).not.toContain(canary);
  });
});

describe("table store lease time", () => {
  it("tells each outbox entry's age by the service's own clock (Date against Timestamp)", async () => {
    const s = await freshTableStore();
    const r = record("leaseclock");
    await s.commitIncident(r, { seq: 1 }, undefined, [entry(r.incident.id, 1)]);
    const [v] = await s.listOutbox({ outcome: "pending" });
    expect(v!.sinceWriteMs).toBeDefined();
    // Just written: an age, not a date (a sanity bound on the arithmetic, not a timing budget).
    expect(v!.sinceWriteMs!).toBeGreaterThanOrEqual(0);
    expect(v!.sinceWriteMs!).toBeLessThan(3_600_000);
    await new Promise((res) => setTimeout(res, 2_100));
    const [later] = await s.listOutbox({ outcome: "pending" });
    expect(later!.sinceWriteMs!).toBeGreaterThanOrEqual(1_000);
  });
});
