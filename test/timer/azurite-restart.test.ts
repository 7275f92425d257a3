import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import { openTableTriageStore } from "../../src/state/table.js";
import type { Clock } from "../../src/clock.js";
import { TimelineSource } from "./fixture-source.js";
import { minutes } from "./fixtures.js";
import { harness } from "./harness.js";
import type { AnalysisWindowMs, SourceAnalysis } from "../../src/timer/source.js";

/**
 * State storage disappearing in the middle of a run: the run fails loudly, nothing decided is lost, and
 * after Azurite comes back (same data on disk, same endpoint) every notification is delivered once.
 */
let dir: string | undefined;
let azurite: AzuriteInstance | undefined;

afterEach(async () => {
  await azurite?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function persistentAzurite(): Promise<{
  restart: () => Promise<void>;
  stop: () => Promise<void>;
  connectionString: string;
}> {
  dir = await mkdtemp(join(tmpdir(), "triage-azurite-"));
  azurite = await startAzurite({ location: dir });
  const ports = { blob: azurite.blobPort, queue: azurite.queuePort, table: azurite.tablePort };
  return {
    connectionString: azurite.connectionString,
    stop: async () => {
      await azurite!.stop();
    },
    restart: async () => {
      azurite = await startAzurite({ location: dir!, ports });
    },
  };
}

const timeline = () =>
  new TimelineSource([
    { account: "contosodata", perMinute: minutes("2026-11-22T10:00:00Z", [5, 5, 5]) },
    {
      account: "fabrikam",
      errorCode: "AuthorizationFailure",
      authType: "SAS",
      perMinute: minutes("2026-11-22T10:01:00Z", [6, 6]),
    },
  ]);

describe("Azurite stopped mid-run and restarted", () => {
  it("during delivery: the run fails, nothing is lost, and each notification is delivered exactly once after restart", async () => {
    const az = await persistentAzurite();
    const store = await openTableTriageStore({
      kind: "connection-string",
      connectionString: az.connectionString,
      tablePrefix: "restart",
    });
    const h = await harness(store, timeline());
    try {
      // The first card post takes the state store down and is refused, so nothing is delivered in run 1.
      h.teams.script.push({ status: 503, before: az.stop });
      h.teams.fallback = { status: 503 };
      // A short lease, so the test need not wait minutes for the crashed run's claim to expire.
      await expect(h.run("2026-11-22T10:10:00Z", { leaseMs: 2_000 })).rejects.toThrow(
        /state store unavailable: Azure Table storage at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1: /,
      );
      await az.restart();
      h.teams.fallback = { status: 202 };
      // The crashed run's claim expires on the store's clock (Azurite's), not the runs' (5 minutes apart).
      await new Promise((r) => setTimeout(r, 3_000));
      const after = await h.run("2026-11-22T10:15:00Z");
      expect(after.notifications.decided).toBe(0); // decisions of run 1 were committed before the outage
      const later = await h.run("2026-11-22T10:20:00Z");
      expect(later.notifications.sent).toBe(0);
      expect([...h.teams.accepted().values()]).toEqual([1, 1]);
      expect([...h.hook.accepted().values()]).toEqual([1, 1]);
      const all = await store.list({});
      expect(all.total).toBe(2);
      for (const rec of all.items) {
        expect(rec.notifications.map((n) => n.outcome)).toEqual(["sent", "sent"]);
      }
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });

  it("during analysis: the run fails before deciding; after restart the next run decides and notifies once", async () => {
    const az = await persistentAzurite();
    const store = await openTableTriageStore({
      kind: "connection-string",
      connectionString: az.connectionString,
      tablePrefix: "restart2",
    });
    const inner = timeline();
    let stopDuringAnalysis = true;
    const source = Object.assign(Object.create(inner) as TimelineSource, {
      async analyze(w: AnalysisWindowMs, c: Clock): Promise<SourceAnalysis> {
        if (stopDuringAnalysis) {
          stopDuringAnalysis = false;
          await az.stop();
        }
        return inner.analyze(w, c);
      },
    });
    const h = await harness(store, source);
    try {
      await expect(h.run("2026-11-22T10:10:00Z")).rejects.toThrow();
      expect(h.teams.received).toHaveLength(0);
      await az.restart();
      const r = await h.run("2026-11-22T10:11:00Z");
      expect(r.notifications).toMatchObject({ decided: 4, sent: 4 });
      await h.run("2026-11-22T10:12:00Z");
      expect([...h.teams.accepted().values()]).toEqual([1, 1]);
      expect([...h.hook.accepted().values()]).toEqual([1, 1]);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });
});
