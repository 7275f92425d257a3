import { describe, expect, it } from "vitest";
import {
  decideIncident,
  type LifecycleConfig,
  type LifecycleInput,
  type LifecycleOutcome,
} from "../../src/lifecycle/decide.js";
import { planInhibition } from "../../src/lifecycle/inhibit.js";
import { mergeIncident, peakRatePer5Min } from "../../src/lifecycle/merge.js";
import type { Incident } from "../../src/model/incident.js";
import type { Silence } from "../../src/silence/silence.js";
import type { LifecycleState, StoredIncidentRecord } from "../../src/state/store.js";
import { fixtureIncident, minutes, regenerateKeyChange, sdkUpgradeChange } from "./fixtures.js";

const config: LifecycleConfig = {
  openThreshold: 5,
  lookbackMs: 30 * 60_000,
  repeatIntervalMs: 4 * 3_600_000,
  resolveAfterMs: 30 * 60_000,
  rateGrowthFactor: 2,
  silences: [],
};

type Prev = { record: StoredIncidentRecord; lifecycle: LifecycleState } | undefined;

function at(iso: string): Date {
  return new Date(iso);
}

/** Runs one decision and folds its result into the "stored" state, like a committed cycle would. */
function step(prev: Prev, input: Omit<LifecycleInput, "previous" | "config"> & { config?: LifecycleConfig }) {
  const full: LifecycleInput = { config, ...input };
  if (prev) full.previous = prev;
  const outcome: LifecycleOutcome = decideIncident(full);
  const next: Prev = outcome.changed ? { record: outcome.record!, lifecycle: outcome.lifecycle! } : prev;
  return { outcome, next };
}

const base = (counts: number[], extra: Partial<Parameters<typeof fixtureIncident>[0]> = {}) =>
  fixtureIncident({ perMinute: minutes("2026-11-22T10:00:00Z", counts), ...extra });

describe("lifecycle: opening and first detection", () => {
  it("does not open below the threshold", () => {
    const { outcome } = step(undefined, { now: at("2026-11-22T10:05:00Z"), observed: base([2, 2]) });
    expect(outcome.changed).toBe(false);
  });

  it("opens at the threshold and says why, with the count and the threshold", () => {
    const { outcome } = step(undefined, { now: at("2026-11-22T10:05:00Z"), observed: base([3, 2]) });
    expect(outcome.record?.status).toBe("open");
    expect(outcome.notification?.reason).toBe("first-detection");
    expect(outcome.notification?.detail).toContain("5 failures");
    expect(outcome.notification?.detail).toContain("threshold of 5");
    expect(outcome.notification?.seq).toBe(1);
  });

  it("stays quiet when the next run sees the same failures again", () => {
    const first = step(undefined, { now: at("2026-11-22T10:05:00Z"), observed: base([3, 2]) });
    const again = step(first.next, { now: at("2026-11-22T10:10:00Z"), observed: base([3, 2]) });
    expect(again.outcome.notification).toBeUndefined();
    // Overlapping windows are merged per minute, not added up.
    expect(again.next!.record.incident.count).toBe(5);
  });
});

describe("lifecycle: material change", () => {
  const opened = () => step(undefined, { now: at("2026-11-22T10:05:00Z"), observed: base([3, 3]) }).next;

  it("notifies when the rate grows by the factor, in plain words", () => {
    const { outcome } = step(opened(), {
      now: at("2026-11-22T10:15:00Z"),
      observed: base([3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 10, 10, 10]),
    });
    expect(outcome.notification?.reason).toBe("rate-increased");
    expect(outcome.notification?.detail).toMatch(/rate grew 5\.0x \(6 → 30 per 5 min\)/);
  });

  it("does not notify when the rate grows less than the factor", () => {
    const { outcome } = step(opened(), {
      now: at("2026-11-22T10:15:00Z"),
      observed: base([3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 3]),
    });
    expect(outcome.notification).toBeUndefined();
  });

  it("notifies about new operations and new services", () => {
    const ops = step(opened(), {
      now: at("2026-11-22T10:08:00Z"),
      observed: base([3, 3, 1], { operations: ["PutBlob", "GetBlob"] }),
    });
    expect(ops.outcome.notification?.reason).toBe("new-operations");
    expect(ops.outcome.notification?.detail).toContain("GetBlob");
    const svc = step(opened(), {
      now: at("2026-11-22T10:08:00Z"),
      observed: base([3, 3, 1], { services: ["blob", "queue"] }),
    });
    expect(svc.outcome.notification?.reason).toBe("new-services");
    expect(svc.outcome.notification?.detail).toContain("queue");
  });

  it("notifies about a new caller with enough failures, not about one stray request", () => {
    const caller = (ip: string, count: number) => ({ ip, count });
    const prev = step(undefined, {
      now: at("2026-11-22T10:05:00Z"),
      observed: base([3, 3], { callers: [caller("10.0.0.1", 6)] }),
    }).next;
    const stray = step(prev, {
      now: at("2026-11-22T10:08:00Z"),
      observed: base([3, 3, 1], { callers: [caller("10.0.0.1", 6), caller("10.9.9.9", 1)] }),
    });
    expect(stray.outcome.notification).toBeUndefined();
    const real = step(prev, {
      now: at("2026-11-22T10:08:00Z"),
      observed: base([3, 3, 1], { callers: [caller("10.0.0.1", 6), caller("10.9.9.9", 6)] }),
    });
    expect(real.outcome.notification?.reason).toBe("new-callers");
    expect(real.outcome.notification?.detail).toContain("ip:10.9.9.9");
  });

  it("notifies about a new cause, then about a better-ranked one", () => {
    const regen = regenerateKeyChange("2026-11-22T09:58:00Z", 0.5);
    const sdk = sdkUpgradeChange("2026-11-22T09:59:00Z", 0.9);
    const first = step(opened(), {
      now: at("2026-11-22T10:08:00Z"),
      observed: base([3, 3, 1], { changes: [regen] }),
    });
    expect(first.outcome.notification?.reason).toBe("new-cause");
    expect(first.outcome.notification?.detail).toContain("regenerateKey");
    // Both known, order swaps: the SDK change is new → new-cause; once both were announced, a swap is "better ranked".
    const both = step(first.next, {
      now: at("2026-11-22T10:10:00Z"),
      observed: base([3, 3, 1], { changes: [regen, sdk] }),
    });
    expect(both.outcome.notification?.reason).toBe("new-cause");
    const swapped = step(both.next, {
      now: at("2026-11-22T10:12:00Z"),
      observed: base([3, 3, 1], { changes: [sdk, regen] }),
    });
    expect(swapped.outcome.notification?.reason).toBe("better-ranked-cause");
    expect(swapped.outcome.notification?.detail).toContain("it was ranked 2");
  });

  it("ignores weak causes and log-seen causes whose time drifts with the window", () => {
    const weak = { ...sdkUpgradeChange("2026-11-22T09:59:00Z", 0.25) };
    const w = step(opened(), {
      now: at("2026-11-22T10:08:00Z"),
      observed: base([3, 3, 1], { changes: [weak] }),
    });
    expect(w.outcome.notification).toBeUndefined();
    const strong = sdkUpgradeChange("2026-11-22T09:59:00Z", 0.8);
    const first = step(opened(), {
      now: at("2026-11-22T10:08:00Z"),
      observed: base([3, 3, 1], { changes: [strong] }),
    });
    expect(first.outcome.notification?.reason).toBe("new-cause");
    const drifted = { ...strong, time: "2026-11-22T10:03:00Z" };
    const later = step(first.next, {
      now: at("2026-11-22T10:12:00Z"),
      observed: base([3, 3, 1], { changes: [drifted] }),
    });
    expect(later.outcome.notification).toBeUndefined();
  });

  it("names every change in one message, most important reason first", () => {
    const { outcome } = step(opened(), {
      now: at("2026-11-22T10:08:00Z"),
      observed: base([3, 3, 1], {
        operations: ["PutBlob", "DeleteBlob"],
        services: ["blob", "file"],
        changes: [regenerateKeyChange("2026-11-22T09:58:00Z")],
      }),
    });
    expect(outcome.notification?.reason).toBe("new-cause");
    expect(outcome.notification?.detail).toContain("DeleteBlob");
    expect(outcome.notification?.detail).toContain("file");
  });
});

describe("lifecycle: reminders and resolution", () => {
  it("reminds after the repeat interval while failures continue", () => {
    let prev = step(undefined, { now: at("2026-11-22T10:05:00Z"), observed: base([3, 3]) }).next;
    const perMinute = (iso: string) => fixtureIncident({ perMinute: minutes(iso, [3, 3]) });
    // Hourly runs keep seeing a steady trickle: no reminder before 4 h.
    for (const h of ["11", "12", "13"]) {
      const r = step(prev, {
        now: at(`2026-11-22T${h}:05:00Z`),
        observed: perMinute(`2026-11-22T${h}:00:00Z`),
      });
      expect(r.outcome.notification).toBeUndefined();
      prev = r.next;
    }
    const r = step(prev, { now: at("2026-11-22T14:05:00Z"), observed: perMinute("2026-11-22T14:00:00Z") });
    expect(r.outcome.notification?.reason).toBe("repeat-interval-elapsed");
    expect(r.outcome.notification?.detail).toContain("4h");
  });

  it("resolves once after the quiet period, and only once", () => {
    const prev = step(undefined, { now: at("2026-11-22T10:05:00Z"), observed: base([3, 3]) }).next;
    const early = step(prev, { now: at("2026-11-22T10:25:00Z") });
    expect(early.outcome.changed).toBe(false);
    const resolved = step(prev, { now: at("2026-11-22T10:40:00Z") });
    expect(resolved.outcome.record?.status).toBe("resolved");
    expect(resolved.outcome.notification?.reason).toBe("resolved");
    expect(resolved.outcome.notification?.detail).toMatch(/no failures for 38m/);
    const after = step(resolved.next, { now: at("2026-11-22T10:45:00Z") });
    expect(after.outcome.changed).toBe(false);
  });

  it("does not reopen on failures it already accounted for when a window reaches back past the resolution", () => {
    const short = { ...config, resolveAfterMs: 10 * 60_000 };
    const prev = step(undefined, {
      now: at("2026-11-22T10:05:00Z"),
      observed: base([3, 3]),
      config: short,
    }).next;
    const resolved = step(prev, { now: at("2026-11-22T10:15:00Z"), config: short }).next;
    expect(resolved!.record.status).toBe("resolved");
    // The 30-minute window of the next run still holds the 10:00–10:01 failures.
    const again = step(resolved, { now: at("2026-11-22T10:20:00Z"), observed: base([3, 3]), config: short });
    expect(again.outcome.changed).toBe(false);
  });

  it("reopens a resolved incident with a first detection that says it is back", () => {
    const prev = step(undefined, { now: at("2026-11-22T10:05:00Z"), observed: base([3, 3]) }).next;
    const resolved = step(prev, { now: at("2026-11-22T10:40:00Z") }).next;
    const back = step(resolved, {
      now: at("2026-11-22T12:05:00Z"),
      observed: fixtureIncident({ perMinute: minutes("2026-11-22T12:00:00Z", [4, 4]) }),
    });
    expect(back.outcome.notification?.reason).toBe("first-detection");
    expect(back.outcome.notification?.detail).toContain("is back");
    expect(back.outcome.notification?.seq).toBe(3);
  });
});

describe("silences", () => {
  const silence = (over: Partial<Silence> = {}): Silence => ({
    id: "maint-1",
    matchers: { account: "contoso*" },
    expiresAt: "2026-11-22T11:00:00Z",
    ...over,
  });

  it("mutes matching incidents until expiry, then announces them", () => {
    const cfg = { ...config, silences: [silence()] };
    const muted = step(undefined, { now: at("2026-11-22T10:05:00Z"), observed: base([3, 3]), config: cfg });
    expect(muted.outcome.record?.status).toBe("open");
    expect(muted.outcome.record?.silencedBy).toBe("maint-1");
    expect(muted.outcome.notification).toBeUndefined();
    const stillFailing = fixtureIncident({ perMinute: minutes("2026-11-22T10:58:00Z", [3, 3, 3]) });
    const during = step(muted.next, { now: at("2026-11-22T10:59:00Z"), observed: stillFailing, config: cfg });
    expect(during.outcome.notification).toBeUndefined();
    const after = step(during.next, { now: at("2026-11-22T11:01:00Z"), observed: stillFailing, config: cfg });
    expect(after.outcome.notification?.reason).toBe("first-detection");
    expect(after.outcome.notification?.detail).toContain("silence 'maint-1' ended");
    expect(after.outcome.record?.silencedBy).toBeUndefined();
  });

  it("matches by error code, auth type and caller (glob), and ignores non-matching incidents", () => {
    const cfg = (m: Silence["matchers"]) => ({ ...config, silences: [silence({ matchers: m })] });
    const obs = base([3, 3], { callers: [{ ip: "10.20.30.40", userAgent: "backup-job/1.0", count: 6 }] });
    const now = at("2026-11-22T10:05:00Z");
    expect(
      step(undefined, { now, observed: obs, config: cfg({ errorCode: "authenticationfailed" }) }).outcome
        .notification,
    ).toBeUndefined();
    expect(
      step(undefined, { now, observed: obs, config: cfg({ authType: "AccountKey" }) }).outcome.notification,
    ).toBeUndefined();
    expect(
      step(undefined, { now, observed: obs, config: cfg({ caller: "backup-job/*" }) }).outcome.notification,
    ).toBeUndefined();
    expect(
      step(undefined, { now, observed: obs, config: cfg({ caller: "10.20.*" }) }).outcome.notification,
    ).toBeUndefined();
    expect(
      step(undefined, { now, observed: obs, config: cfg({ caller: "10.99.*" }) }).outcome.notification
        ?.reason,
    ).toBe("first-detection");
    expect(
      step(undefined, {
        now,
        observed: obs,
        config: cfg({ account: "fabrikam", errorCode: "AuthenticationFailed" }),
      }).outcome.notification?.reason,
    ).toBe("first-detection");
  });

  it("does not apply before startsAt or after expiresAt", () => {
    const now = at("2026-11-22T10:05:00Z");
    const future = { ...config, silences: [silence({ startsAt: "2026-11-22T10:30:00Z" })] };
    expect(
      step(undefined, { now, observed: base([3, 3]), config: future }).outcome.notification?.reason,
    ).toBe("first-detection");
    const expired = { ...config, silences: [silence({ expiresAt: "2026-11-22T10:00:00Z" })] };
    expect(
      step(undefined, { now, observed: base([3, 3]), config: expired }).outcome.notification?.reason,
    ).toBe("first-detection");
  });

  it("sends no resolved message for an incident that was never announced", () => {
    const cfg = { ...config, silences: [silence({ expiresAt: "2026-11-23T00:00:00Z" })] };
    const muted = step(undefined, {
      now: at("2026-11-22T10:05:00Z"),
      observed: base([3, 3]),
      config: cfg,
    }).next;
    const resolved = step(muted, { now: at("2026-11-22T10:45:00Z"), config: cfg });
    expect(resolved.outcome.record?.status).toBe("resolved");
    expect(resolved.outcome.notification).toBeUndefined();
  });
});

describe("inhibition: one message per account-wide cause", () => {
  const now = at("2026-11-22T10:05:00Z");
  const sharedKeyAccountKey = base([10, 10], {
    errorCode: "KeyBasedAuthenticationNotPermitted",
    authType: "AccountKey",
    operations: ["PutBlob", "GetBlob"],
  });
  const sharedKeySas = base([4, 4], {
    errorCode: "KeyBasedAuthenticationNotPermitted",
    authType: "SAS",
    operations: ["GetBlob"],
  });
  const accountKeyOther = base([3, 3], {
    errorCode: "AuthenticationFailed",
    authType: "SAS",
    operations: ["ListBlobs"],
  });
  const oauthRbac = base([3, 3], { errorCode: "AuthorizationPermissionMismatch", authType: "OAuth" });
  const otherAccount = base([3, 3], {
    account: "fabrikam",
    errorCode: "KeyBasedAuthenticationNotPermitted",
    authType: "SAS",
  });

  it("groups shared-key incidents of one account under the biggest, leaving others alone", () => {
    const plan = planInhibition([
      sharedKeySas,
      sharedKeyAccountKey,
      accountKeyOther,
      oauthRbac,
      otherAccount,
    ]);
    const group = plan.byPrimary.get(sharedKeyAccountKey.id)!;
    expect(group.cause).toBe("shared-key-disabled");
    expect(group.memberIds.sort()).toEqual([sharedKeySas.id, accountKeyOther.id].sort());
    expect(plan.inhibitedBy.has(oauthRbac.id)).toBe(false);
    // The other account has its own group.
    expect(plan.byPrimary.has(otherAccount.id)).toBe(true);
    expect(plan.inhibitedBy.get(otherAccount.id)).toBeUndefined();
  });

  it("keeps an already-announced primary even when another source grows bigger", () => {
    const plan = planInhibition([sharedKeySas, sharedKeyAccountKey], new Set([sharedKeySas.id]));
    expect(plan.byPrimary.get(sharedKeySas.id)?.memberIds).toEqual([sharedKeyAccountKey.id]);
  });

  it("groups every AuthorizationFailure of an account under a firewall cause", () => {
    const fw = (authType: string, c: number[]) => base(c, { errorCode: "AuthorizationFailure", authType });
    const a = fw("OAuth", [9, 9]);
    const b = fw("AccountKey", [3, 3]);
    const c = fw("SAS", [2, 2]);
    expect(a.decision).toBe("network");
    const plan = planInhibition([a, b, c]);
    expect(plan.groups).toHaveLength(1);
    expect(plan.groups[0]!.memberIds.sort()).toEqual([b.id, c.id].sort());
  });

  it("announces the primary once, covering the members, and keeps members quiet", () => {
    const plan = planInhibition([sharedKeyAccountKey, sharedKeySas, accountKeyOther]);
    const covers: Incident[] = [sharedKeySas, accountKeyOther];
    const primary = step(undefined, { now, observed: sharedKeyAccountKey, covers });
    expect(primary.outcome.notification?.reason).toBe("first-detection");
    expect(primary.outcome.notification?.detail).toContain("covers 2 related incident(s)");
    expect(primary.outcome.record?.covers).toEqual(covers.map((c) => c.id).sort());
    for (const m of covers) {
      const member = step(undefined, { now, observed: m, inhibitedBy: plan.inhibitedBy.get(m.id)! });
      expect(member.outcome.record?.status).toBe("open");
      expect(member.outcome.lifecycle?.inhibitedBy).toBe(sharedKeyAccountKey.id);
      expect(member.outcome.record?.inhibitedBy).toBe(sharedKeyAccountKey.id);
      expect(member.outcome.notification).toBeUndefined();
    }
  });

  it("announces a member on its own once the cause's incident no longer covers it", () => {
    const member = step(undefined, { now, observed: sharedKeySas, inhibitedBy: sharedKeyAccountKey.id }).next;
    const freed = step(member, {
      now: at("2026-11-22T10:08:00Z"),
      observed: base([4, 4, 1], {
        errorCode: "KeyBasedAuthenticationNotPermitted",
        authType: "SAS",
        operations: ["GetBlob"],
      }),
    });
    expect(freed.outcome.notification?.reason).toBe("first-detection");
    expect(freed.outcome.notification?.detail).toContain(`no longer covered by ${sharedKeyAccountKey.id}`);
  });
});

describe("merging runs", () => {
  it("counts overlapping windows once and takes late-arriving rows", () => {
    const a = base([3, 3, 3]);
    const b = fixtureIncident({ perMinute: minutes("2026-11-22T10:01:00Z", [5, 3, 2]) });
    const m = mergeIncident(a, b);
    // minute 0: 3, minute 1: max(3,5)=5, minute 2: 3, minute 3: 2
    expect(m.count).toBe(13);
    expect(m.perMinute.map(([, n]) => n)).toEqual([3, 5, 3, 2]);
    expect(peakRatePer5Min(m)).toBe(13);
  });

  it("keeps the causes ranked when the onset was in view; a tail-only window adds only late activity", () => {
    const onset = fixtureIncident({
      perMinute: minutes("2026-11-22T09:34:00Z", [3, 3, 3]),
      changes: [regenerateKeyChange("2026-11-22T09:32:00Z", 0.9)],
    });
    const late = regenerateKeyChange("2026-11-22T09:20:00Z", 0.5);
    const tail = fixtureIncident({
      perMinute: minutes("2026-11-22T09:55:00Z", [2, 2]),
      changes: [
        sdkUpgradeChange("2026-11-22T09:55:00Z", 0.8), // an artefact of the window's false onset
        { ...regenerateKeyChange("2026-11-22T09:32:00Z", 0.4) }, // known, re-scored against 09:55
        { ...late, operation: "Microsoft.Storage/storageAccounts/write" }, // before the onset, new
        { ...regenerateKeyChange("2026-11-22T09:40:00Z", 0.7) }, // after the real onset: not a cause
      ],
    });
    const m = mergeIncident(onset, tail);
    expect(m.firstSeen).toBe(onset.firstSeen);
    expect(m.changes.map((c) => [c.operation, c.time, c.score])).toEqual([
      ["Microsoft.Storage/storageAccounts/regenerateKey/action", "2026-11-22T09:32:00Z", 0.9],
      ["Microsoft.Storage/storageAccounts/write", "2026-11-22T09:20:00Z", 0.5],
    ]);
    // A run that sees the onset again re-ranks from scratch.
    const again = fixtureIncident({
      perMinute: minutes("2026-11-22T09:34:00Z", [3]),
      changes: [sdkUpgradeChange("2026-11-22T09:34:00Z", 0.8)],
    });
    expect(mergeIncident(onset, again).changes.map((c) => c.operation)).toEqual(["user-agent-change"]);
  });
});
