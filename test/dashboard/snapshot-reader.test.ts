import { describe, expect, it } from "vitest";
import { recordsFromAnalysis, SnapshotIncidentReader } from "../../src/dashboard/snapshot-reader.js";
import { makeRecord } from "../support/incident-fixtures.js";

const a = makeRecord({
  account: "Alpha",
  decision: "rbac",
  start: "2026-11-22T10:00:00Z",
  perMinute: [1, 1, 1],
});
const b = makeRecord({
  account: "beta",
  decision: "sas",
  start: "2026-11-22T12:00:00Z",
  perMinute: [9],
  status: "resolved",
});
const c = makeRecord({ account: "gamma", decision: "rbac", start: "2026-11-22T08:00:00Z", perMinute: [5] });

describe("SnapshotIncidentReader", () => {
  const reader = new SnapshotIncidentReader([a, b, c]);
  const ids = async (q: Parameters<typeof reader.list>[0]) =>
    (await reader.list(q)).items.map((r) => r.incident.account);

  it("orders most severe first and pages", async () => {
    expect(await ids({})).toEqual(["beta", "gamma", "Alpha"]);
    expect(await ids({ offset: 1, limit: 1 })).toEqual(["gamma"]);
    expect((await reader.list({ offset: 1, limit: 1 })).total).toBe(3);
  });

  it("keeps incidents whose activity overlaps [from, to]", async () => {
    expect(await ids({ from: "2026-11-22T10:02:00Z", to: "2026-11-22T11:00:00Z" })).toEqual(["Alpha"]);
    expect(await ids({ from: "2026-11-22T10:03:00Z" })).toEqual(["beta"]);
    expect(await ids({ to: "2026-11-22T09:59:59Z" })).toEqual(["gamma"]);
  });

  it("filters by account (case-insensitive), decision, error code and status", async () => {
    expect(await ids({ account: "alpha" })).toEqual(["Alpha"]);
    expect(await ids({ decision: "rbac" })).toEqual(["gamma", "Alpha"]);
    expect(await ids({ errorCode: "AuthenticationFailed" })).toEqual(["beta"]);
    expect(await ids({ status: "open" })).toEqual(["gamma", "Alpha"]);
    expect(await reader.get(b.incident.id)).toBe(b);
    expect(await reader.get("inc-missing")).toBeUndefined();
  });

  it("turns analysed incidents into open records without history", () => {
    const [record] = recordsFromAnalysis([a.incident]);
    expect(record).toEqual({
      incident: a.incident,
      status: "open",
      openedAt: a.incident.firstSeen,
      updatedAt: a.incident.lastSeen,
      notifications: [],
    });
  });
});
