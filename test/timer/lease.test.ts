import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY, worstCaseDeliveryMs } from "../../src/notify/retry.js";
import { MemoryTriageStore } from "../../src/state/memory.js";
import type { OutboxEntry } from "../../src/state/store.js";
import { defaultLeaseMs } from "../../src/timer/cycle.js";
import { TimelineSource } from "./fixture-source.js";
import { minutes } from "./fixtures.js";
import { harness, type Harness } from "./harness.js";

/**
 * The delivery lease is judged on the store's clock, never on the clock of the run that checks it or of
 * the run that claimed, and it outlasts the worst-case delivery.
 */
const source = () =>
  new TimelineSource([{ account: "contosodata", perMinute: minutes("2026-11-22T10:00:00Z", [4, 4, 4]) }]);

let h: Harness | undefined;
afterEach(async () => {
  await h?.teams.close();
  await h?.hook.close();
  h = undefined;
});

describe("delivery lease", () => {
  it("outlasts the worst-case delivery (every attempt timing out, the longest waits between)", () => {
    const worst = worstCaseDeliveryMs(DEFAULT_RETRY_POLICY, 10_000, 300);
    // 4 attempts × 10 s + 3 waits × (30 s Retry-After + 250 ms jitter) + 300 ms spacing.
    expect(worst).toBe(131_050);
    expect(defaultLeaseMs({ retryPolicy: DEFAULT_RETRY_POLICY })).toBeGreaterThan(worst);
    const slow = { ...DEFAULT_RETRY_POLICY, maxAttempts: 6 };
    expect(defaultLeaseMs({ retryPolicy: slow, timeoutMs: 20_000 })).toBeGreaterThan(
      worstCaseDeliveryMs(slow, 20_000, 300),
    );
  });

  it("a claim carries its duration, the default one outlasting the worst-case delivery", async () => {
    const store = new MemoryTriageStore();
    h = await harness(store, source());
    let claims: OutboxEntry[] = [];
    h.teams.script.push({
      status: 202,
      before: async () => {
        claims = (await store.listOutbox({ outcome: "pending" })).map((v) => v.entry);
      },
    });
    await h.run("2026-11-22T10:05:00Z", { timeoutMs: 10_000 });
    const teams = claims.find((c) => c.channel === "teams")!;
    expect(teams.leaseOwner).toBeDefined();
    expect(teams.leaseMs).toBeGreaterThan(worstCaseDeliveryMs(DEFAULT_RETRY_POLICY, 10_000, 300));
  });

  it("two overlapping runs with clocks 4 minutes apart post each notification once", async () => {
    const store = new MemoryTriageStore();
    h = await harness(store, source());
    const harnessRef = h;
    let overlapping: Awaited<ReturnType<Harness["run"]>> | undefined;
    // While run A's first post is in flight, run B starts with a clock 4 minutes ahead: by A's clock its
    // 2-minute claim has long expired, by the store's it was written an instant ago.
    h.teams.script.push({
      status: 202,
      before: async () => {
        overlapping = await harnessRef.run("2026-11-22T10:09:00Z");
      },
    });
    const a = await h.run("2026-11-22T10:05:00Z", { leaseMs: 120_000 });
    expect(overlapping).toBeDefined();
    // B skips the card A is posting (held); it may deliver the webhook A has not reached yet, and A then
    // loses that claim's race: between them, each is sent once.
    expect(overlapping!.notifications.pending).toBeGreaterThanOrEqual(1);
    expect(a.notifications.sent + overlapping!.notifications.sent).toBe(2);
    expect([...h.teams.accepted().values()]).toEqual([1]);
    expect([...h.hook.accepted().values()]).toEqual([1]);
    expect(h.teams.received).toHaveLength(1);
  });

  it("a crashed run's claim holds until it expires on the store's clock, whatever the runs' clocks say", async () => {
    let storeNow = Date.parse("2026-01-01T00:00:00Z");
    const store = new MemoryTriageStore(() => storeNow);
    h = await harness(store, source());
    h.teams.fallback = { status: 503 };
    h.hook.fallback = { status: 503 };
    await h.run("2026-11-22T10:05:00Z");
    // Claimed by a run that then crashed; its own expiry estimate is long past by any clock here.
    for (const { entry, etag } of await store.listOutbox({ outcome: "pending" })) {
      await store.updateOutbox(
        { ...entry, leaseOwner: "crashed-run", leaseMs: 60_000, leaseUntil: "2000-01-01T00:00:00.000Z" },
        etag,
      );
    }
    h.teams.fallback = { status: 202 };
    h.hook.fallback = { status: 202 };
    storeNow += 30_000;
    const held = await h.run("2026-11-22T10:05:00Z");
    expect(held.notifications).toMatchObject({ sent: 0, pending: 2 });
    expect(h.teams.accepted().size).toBe(0);
    storeNow += 31_000;
    const taken = await h.run("2026-11-22T10:05:00Z");
    expect(taken.notifications).toMatchObject({ sent: 2, pending: 0 });
    expect([...h.teams.accepted().values()]).toEqual([1]);
    expect([...h.hook.accepted().values()]).toEqual([1]);
  });
});
