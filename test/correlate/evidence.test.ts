import { describe, expect, it } from "vitest";
import {
  CALLER_DIMENSIONS,
  callerIdentityOf,
  credentialOf,
  EvidenceIndex,
  EvidenceObserver,
  explainFromEvidence,
  mergeEvidence,
  normaliseActivity,
  OTHER_VALUE,
  outcomeOf,
  parseRootCauseSettings,
  phaseOf,
  sasTimesOf,
  type RootCauseEvidence,
} from "../../src/correlate/index.js";
import {
  DEFAULT_EVIDENCE_LIMITS,
  emptyEvidence,
  EvidenceMerge,
  evidenceCapsOf,
  mergeOwnedEvidence,
  recordsOf,
} from "../../src/correlate/evidence.js";
import type { ActivityEvent } from "../../src/model/activity.js";
import {
  ACCOUNT_ID,
  activityOp,
  at,
  failing,
  incidentFrom,
  MIN,
  req,
  seeded,
  traffic,
  UA_NEW,
  UA_OLD,
} from "./scenario.js";

function canonical(e: RootCauseEvidence) {
  return {
    callers: [...e.callers].map((r) => JSON.stringify(Object.entries(r).sort())).sort(),
    activity: [...e.activity].map((b) => JSON.stringify(Object.entries(b).sort())).sort(),
    accounts: [...e.accounts].map((a) => `${a.account}|${a.resourceId}`).sort(),
  };
}

/** Whether two indexes of the same evidence answer every question alike. */
function expectSameAnswers(a: EvidenceIndex, b: EvidenceIndex, evidence: RootCauseEvidence): void {
  const outcomes = new Set(evidence.callers.map((r) => r.outcome));
  for (const account of ["prodstore", "StOther", "nosuch"]) {
    expect(a.callersOf(account)).toEqual(b.callersOf(account));
    expect(a.accountResourceId(account)).toEqual(b.accountResourceId(account));
    for (const outcome of outcomes)
      for (const dimension of CALLER_DIMENSIONS) {
        expect(a.callersWith(account, outcome, dimension)).toEqual(
          b.callersWith(account, outcome, dimension),
        );
        expect(a.recordsByValue(account, outcome, dimension)).toEqual(
          b.recordsByValue(account, outcome, dimension),
        );
      }
  }
}

describe("evidence records", () => {
  const rows = [
    ...traffic(at(-90), at(0), MIN, { callerIp: "10.0.0.4", userAgent: UA_OLD }),
    ...traffic(at(0), at(40), MIN, failing({ callerIp: "10.0.0.4", userAgent: UA_NEW })),
    ...traffic(at(-90), at(40), MIN, { callerIp: "10.0.0.6" }),
  ];

  it("merges partial evidence into exactly what one observer over all rows learns", () => {
    const whole = new EvidenceObserver();
    rows.forEach((r) => whole.observe(r));
    const rand = seeded(42);
    const a = new EvidenceObserver();
    const b = new EvidenceObserver();
    for (const r of rows) (rand() < 0.5 ? a : b).observe(r);
    expect(canonical(mergeEvidence(a.evidence(), b.evidence()))).toEqual(canonical(whole.evidence()));
  });

  it("merges parts it may change in place into what the copying merge gives", () => {
    const rand = seeded(7);
    const shards = [new EvidenceObserver(), new EvidenceObserver(), new EvidenceObserver()];
    for (const r of rows) shards[Math.floor(rand() * 3)]!.observe(r);
    const parts = structuredClone(shards.map((o) => o.evidence()));
    // A part from a source that keeps the account's spelling: merged records take the lower case.
    for (const r of [...parts[0]!.callers, ...parts[0]!.activity]) r.account = r.account.toUpperCase();
    const before = structuredClone(parts);
    const want = mergeEvidence(...parts);
    expect(parts).toEqual(before);
    const owned = mergeOwnedEvidence(structuredClone(parts));
    expect(owned).toEqual(want);
    expect(owned.callers.some((r) => r.count > 1)).toBe(true);
  });

  it("merges part by part as at once, hands a merge on as it is, and indexes it as its copy", () => {
    const rand = seeded(11);
    const shards = [new EvidenceObserver(), new EvidenceObserver(), new EvidenceObserver()];
    const more = traffic(at(-30), at(10), MIN, { callerIp: "10.0.0.7", account: "StOther" });
    for (const r of [...rows, ...more]) shards[Math.floor(rand() * 3)]!.observe(r);
    const parts = shards.map((o) => o.evidence());
    const want = mergeEvidence(...parts);
    const merge = new EvidenceMerge(true);
    for (const p of structuredClone(parts)) merge.add(p);
    const merged = merge.result();
    expect(merged).toEqual(want);
    // Merging it again alone (beside parts that hold nothing) gives it as it is; anything else is merged.
    expect(mergeOwnedEvidence([emptyEvidence(), merged, emptyEvidence()])).toBe(merged);
    expect(mergeOwnedEvidence([merged, structuredClone(parts[0]!)])).not.toBe(merged);
    // A part that is no merge's is merged even alone: its accounts take the lower case.
    const spelt = structuredClone(parts[0]!);
    for (const r of spelt.callers) r.account = r.account.toUpperCase();
    const alone = mergeOwnedEvidence([emptyEvidence(), structuredClone(spelt)]);
    expect(alone).toEqual(mergeEvidence(spelt));
    expect(alone.callers.every((r) => r.account === r.account.toLowerCase())).toBe(true);
    // An index over the merge, built from what it held of each caller, answers as one over its copy.
    const adopted = new EvidenceIndex(merged);
    expectSameAnswers(adopted, new EvidenceIndex(structuredClone(merged)), merged);
    expect(adopted.callersOf("stother").length).toBeGreaterThan(0);
    // So does one over an observer's live evidence, built from what the observer held of each caller.
    const live = shards[0]!.liveEvidence();
    expectSameAnswers(new EvidenceIndex(live), new EvidenceIndex(structuredClone(live)), live);
    // Its lists, made only when read, hold what the observer's copies hold, in the same order.
    expect(structuredClone(live)).toEqual(shards[0]!.evidence());
    expect(live.callers).toBe(live.callers);
  });

  it("takes an observer's live evidence as it holds it when it comes first, and merges it when it must join records", () => {
    const rand = seeded(5);
    const shards = [new EvidenceObserver(), new EvidenceObserver()];
    const more = traffic(at(-30), at(10), MIN, { callerIp: "10.0.0.7", account: "StOther" });
    for (const r of [...rows, ...more]) shards[Math.floor(rand() * 2)]!.observe(r);
    const want = mergeEvidence(...shards.map((o) => o.evidence()));
    const merge = new EvidenceMerge(true);
    merge.add(shards[0]!.liveEvidence());
    merge.add(structuredClone(shards[1]!.evidence()));
    const merged = merge.result();
    expect(merged).toEqual(want);
    expectSameAnswers(new EvidenceIndex(merged), new EvidenceIndex(want), want);
    // Its index takes each caller's lookup keys as the observer and the merge kept them beside the
    // records: they are the keys an index works out from a copy of the records.
    expectSameAnswers(new EvidenceIndex(merged), new EvidenceIndex(structuredClone(merged)), merged);
    // The callers it holds, counted by holder, are the callers of its records (a holder of bins alone too).
    const binsOnly = emptyEvidence();
    binsOnly.activity.push({
      account: "prodstore",
      caller: "ip:10.9.9.9",
      binStartMs: at(0),
      ok: 1,
      failed: 0,
    });
    const withBins = mergeOwnedEvidence([merged, binsOnly]);
    for (const e of [merged, withBins, shards[1]!.liveEvidence()])
      expect(evidenceCapsOf(e, 10)).toEqual(evidenceCapsOf(structuredClone(e), 10));
    expect(evidenceCapsOf(shards[1]!.liveEvidence(), 10).callers).toBe(shards[1]!.capsReached().callers);
    // One caller failing with an error code logged in two casings: a merge joins those records.
    const spelt = new EvidenceObserver();
    spelt.observe(req({ timeMs: at(1), ...failing({}, "AuthorizationFailure") }));
    spelt.observe(req({ timeMs: at(2), ...failing({}, "authorizationfailure") }));
    const joined = mergeEvidence(spelt.evidence());
    expect(joined.callers.length).toBeLessThan(spelt.evidence().callers.length);
    expect(mergeOwnedEvidence([emptyEvidence(), spelt.liveEvidence()])).toEqual(joined);
  });

  it("explains the same from merged shards as from one observer", () => {
    const whole = new EvidenceObserver();
    rows.forEach((r) => whole.observe(r));
    const a = new EvidenceObserver();
    const b = new EvidenceObserver();
    rows.forEach((r, i) => (i % 2 ? a : b).observe(r));
    const incident = incidentFrom(rows, { errorCode: "AuthenticationFailed", authType: "AccountKey" });
    const ctx = { windowFromMs: at(-120), windowToMs: at(60) };
    const settings = parseRootCauseSettings();
    const one = explainFromEvidence(incident, [], whole.evidence(), ctx, settings);
    const merged = explainFromEvidence(
      incident,
      [],
      mergeEvidence(a.evidence(), b.evidence()),
      ctx,
      settings,
    );
    expect(merged).toEqual(one);
    expect(one.changes.map((c) => c.kind)).toEqual(["sdk-changed"]);
  });

  it("lists the callers with records of an outcome and dimension as scanning every caller would", () => {
    const observer = new EvidenceObserver();
    // Two accounts (one spelt in capitals), failures with two challenges, callers by key and address.
    [
      ...rows,
      ...traffic(at(-30), at(10), MIN, { callerIp: "10.0.0.7", account: "StOther" }),
      // The same caller with a second user agent: two records of one key, listed once.
      ...traffic(at(-25), at(-20), MIN, { callerIp: "10.0.0.7", account: "StOther", userAgent: UA_NEW }),
      ...traffic(
        at(0),
        at(20),
        MIN,
        failing({ authHash: "key2(ABC)", account: "stother" }, "AuthorizationFailure"),
      ),
    ].forEach((r) => observer.observe(r));
    const evidence = observer.evidence();
    const index = new EvidenceIndex(evidence);
    const outcomes = new Set(evidence.callers.map((r) => r.outcome));
    let nonEmpty = 0;
    for (const account of ["prodstore", "STOTHER", "nosuch"])
      for (const outcome of [...outcomes, "OK", "none"])
        for (const dimension of CALLER_DIMENSIONS) {
          const got = index.callersWith(account, outcome, dimension);
          const want = index.callersOf(account).filter((v) => recordsOf(v, outcome, dimension).length > 0);
          expect(got).toEqual(want);
          if (got.length) nonEmpty++;
        }
    expect(nonEmpty).toBeGreaterThan(10);
    const twoAgents = index
      .callersWith("stother", "ok", "userAgent")
      .filter((v) => v.caller === "ip:10.0.0.7");
    expect(twoAgents).toHaveLength(1);
    expect(recordsOf(twoAgents[0]!, "OK", "userAgent").map((r) => r.value)).toContain(UA_NEW);
    expect(recordsOf(twoAgents[0]!, "ok", "userAgent")).toHaveLength(2);
  });

  it("grows with callers and values, not rows", () => {
    const obs = new EvidenceObserver();
    for (let i = 0; i < 50_000; i++)
      obs.observe(req({ timeMs: at(-60) + i * 50, callerIp: `10.0.0.${i % 4}` }));
    const small = obs.evidence();
    expect(obs.callerCount).toBe(4);
    // 4 callers × (all, userAgent, operationVersion, keySlot, authType, credential)
    expect(small.callers).toHaveLength(24);
    expect(small.activity.length).toBeLessThanOrEqual(4 * 10);
  });

  it("keeps one record per outcome, dimension and value once a caller's records outgrow a scan", () => {
    // One caller, three outcomes, ten user agents and three versions each: some 50 records, past the
    // scan (SCAN_LIMIT) to the per-outcome index, with every value under every outcome.
    const obs = new EvidenceObserver();
    const halves = [new EvidenceObserver(), new EvidenceObserver()];
    const rand = seeded(11);
    const outcomes = [
      {},
      failing({}, "AuthorizationPermissionMismatch"),
      failing({}, "AuthenticationFailed"),
    ];
    const expected = new Map<string, number>();
    const tally = (key: string) => expected.set(key, (expected.get(key) ?? 0) + 1);
    for (let i = 0; i < 3_000; i++) {
      const r = req({
        timeMs: at(-60) + i * 1_000,
        callerIp: "10.0.0.9",
        userAgent: `agent/${Math.floor(rand() * 10)}`,
        operationVersion: `2023-0${1 + Math.floor(rand() * 3)}-01`,
        ...outcomes[Math.floor(rand() * outcomes.length)],
      });
      obs.observe(r);
      halves[i % 2]!.observe(r);
      const outcome = outcomeOf(r)!;
      tally(`${outcome}|all|`);
      tally(`${outcome}|userAgent|${r.userAgent}`);
      tally(`${outcome}|operationVersion|${r.operationVersion}`);
    }
    const kept = obs
      .evidence()
      .callers.filter((c) => ["all", "userAgent", "operationVersion"].includes(c.dimension));
    const got = new Map(kept.map((c) => [`${c.outcome}|${c.dimension}|${c.value}`, c.count]));
    expect(got.size, "one record each").toBe(kept.length);
    expect(got).toEqual(expected);
    expect(kept.length).toBeGreaterThan(40);
    // Merged, past the merge's own scan, two halves give what one observer gives.
    const merged = mergeEvidence(halves[0]!.evidence(), halves[1]!.evidence());
    expect(canonical(merged)).toEqual(canonical(obs.evidence()));
  });

  it("counts each five-minute bin of a caller's activity whatever the rows' order", () => {
    // Four hours of one caller (48 bins, past a scan), rows shuffled: an export need not be in time order.
    const rand = seeded(5);
    const rows = Array.from({ length: 2_000 }, (_, i) =>
      req({
        timeMs: at(-240) + Math.floor(rand() * 240 * MIN),
        callerIp: "10.0.0.7",
        ...(i % 3 ? {} : failing({})),
      }),
    );
    const expected = new Map<number, { ok: number; failed: number }>();
    for (const r of rows) {
      const start = Math.floor(r.timeMs / (5 * MIN)) * 5 * MIN;
      const bin = expected.get(start) ?? { ok: 0, failed: 0 };
      if (outcomeOf(r) === "ok") bin.ok++;
      else bin.failed++;
      expected.set(start, bin);
    }
    const obs = new EvidenceObserver();
    rows.forEach((r) => obs.observe(r));
    const e = obs.evidence();
    expect(new Map(e.activity.map((b) => [b.binStartMs, { ok: b.ok, failed: b.failed }]))).toEqual(expected);
    expect(e.activity).toHaveLength(expected.size);
    expect(e.truncated.droppedBins).toBe(0);
    // Past the cap, the oldest bins go: in time order, the last ones are kept.
    const capped = new EvidenceObserver({ ...DEFAULT_EVIDENCE_LIMITS, maxBinsPerCaller: 10 });
    [...rows].sort((a, b) => a.timeMs - b.timeMs).forEach((r) => capped.observe(r));
    const kept = capped.evidence().activity.map((b) => b.binStartMs);
    expect(kept).toEqual([...expected.keys()].sort((a, b) => a - b).slice(-10));
    expect(capped.evidence().truncated.droppedBins).toBe(expected.size - 10);
  });

  it("caps callers, values per dimension and bins, and reports what it cut", () => {
    const obs = new EvidenceObserver({
      maxCallers: 3,
      maxValuesPerDimension: 2,
      maxOutcomesPerCaller: 2,
      maxBinsPerCaller: 4,
    });
    for (let i = 0; i < 10; i++) obs.observe(req({ timeMs: at(i * 10), callerIp: `10.9.0.${i}` }));
    for (let i = 0; i < 5; i++)
      obs.observe(req({ timeMs: at(i * 10), callerIp: "10.9.0.0", userAgent: `agent/${i}` }));
    const e = obs.evidence();
    expect(obs.callerCount).toBe(3);
    expect(e.truncated.droppedCallers).toBe(7);
    const uas = e.callers
      .filter((r) => r.caller === "ip:10.9.0.0" && r.dimension === "userAgent")
      .map((r) => r.value);
    expect(uas).toEqual([UA_OLD, "agent/0", OTHER_VALUE]);
    expect(e.truncated.foldedValues).toBeGreaterThan(0);
    expect(e.activity.filter((b) => b.caller === "ip:10.9.0.0")).toHaveLength(4);
    expect(e.truncated.droppedBins).toBeGreaterThan(0);
  });

  it("caps a caller's values per dimension for each of its outcomes apart", () => {
    const obs = new EvidenceObserver({ ...DEFAULT_EVIDENCE_LIMITS, maxValuesPerDimension: 2 });
    const failed = failing({}, "AuthorizationFailure");
    for (let i = 0; i < 3; i++) obs.observe(req({ timeMs: at(i), userAgent: `ok-agent/${i}` }));
    for (let i = 0; i < 3; i++)
      obs.observe(req({ timeMs: at(10 + i), ...failed, userAgent: `bad-agent/${i}` }));
    // A third outcome after the second: its counts start from nothing too.
    obs.observe(req({ timeMs: at(20), ...failing({}, "AuthenticationFailed"), userAgent: "third/0" }));
    const agents = (outcome: string) =>
      obs
        .evidence()
        .callers.filter((r) => r.outcome === outcome && r.dimension === "userAgent")
        .map((r) => r.value);
    expect(agents("ok")).toEqual(["ok-agent/0", "ok-agent/1", OTHER_VALUE]);
    expect(agents("403|AuthorizationFailure|AccountKey")).toEqual([
      "bad-agent/0",
      "bad-agent/1",
      OTHER_VALUE,
    ]);
    expect(agents("403|AuthenticationFailed|AccountKey")).toEqual(["third/0"]);
    expect(obs.evidence().truncated.foldedValues).toBe(2);
  });

  // A full cap: a row whose caller the observer misses is dropped. In front of the callers map is a
  // filter of known keys, which answers "maybe" to all past 32,768 keys: below and past that, every
  // caller seen twice must be one caller with two requests. Object ids and addresses as raw keys, over
  // several accounts.
  it.each([1_000, 40_000])("finds each of %i callers again with its caller cap full", (callers) => {
    const obs = new EvidenceObserver({
      maxCallers: callers,
      maxValuesPerDimension: 12,
      maxOutcomesPerCaller: 8,
      maxBinsPerCaller: 4,
    });
    const caller = (i: number) =>
      i % 2 === 0
        ? { account: `st${i % 5}`, requesterObjectId: `${i}-aaaa-bbbb-cccc`, authType: "OAuth" }
        : { account: `st${i % 5}`, callerIp: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` };
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < callers; i++) obs.observe(req({ timeMs: at(round), ...caller(i) }));
    const e = obs.evidence();
    expect(e.truncated.droppedCallers).toBe(0);
    const all = e.callers.filter((r) => r.dimension === "all");
    expect(all).toHaveLength(callers);
    expect(all.every((r) => r.count === 2)).toBe(true);
  });

  it("treats empty fields as absent, as the server-side summarise does", () => {
    const obs = new EvidenceObserver();
    obs.observe(
      req({
        timeMs: at(0),
        requesterObjectId: "",
        callerIp: "10.0.0.4",
        userAgent: '""',
        operationVersion: " ",
      }),
    );
    obs.observe(req({ timeMs: at(1), requesterObjectId: "", callerIp: "10.0.0.5" }));
    const e = obs.evidence();
    expect([...new Set(e.callers.map((r) => r.caller))].sort()).toEqual(["ip:10.0.0.4", "ip:10.0.0.5"]);
    expect(
      e.callers
        .filter((r) => r.caller === "ip:10.0.0.4")
        .map((r) => r.dimension)
        .sort(),
    ).toEqual(["all", "authType", "credential", "keySlot"]);
  });

  it("identifies callers and credentials from the logged fields", () => {
    expect(callerIdentityOf(req({ timeMs: 0, requesterObjectId: "ABC", callerIp: "1.2.3.4" }))).toBe(
      "oid:abc",
    );
    expect(callerIdentityOf(req({ timeMs: 0 }))).toBe("ip:10.0.0.4");
    expect(credentialOf({ authType: "AccountKey", authHash: `key2(${"ab".repeat(32)})` })).toBe(
      `key2(${"AB".repeat(32)})`,
    );
    expect(
      credentialOf({ authType: "SAS", authHash: `key1(${"a".repeat(64)}),SasSignature(${"c".repeat(64)})` }),
    ).toBe(`sas:${"C".repeat(64)}`);
    expect(credentialOf({ authType: "OAuth", authHash: "f".repeat(64) })).toBeUndefined();
    expect(outcomeOf({ statusCode: 404, statusText: "BlobNotFound", authType: "SAS" })).toBe("ok");
    expect(outcomeOf({ statusCode: 403, statusText: "AuthorizationFailure", authType: "OAuth" })).toBe(
      "403|AuthorizationFailure|OAuth",
    );
    expect(outcomeOf({ statusCode: null, statusText: "Unknown", authType: "SAS" })).toBeUndefined();
    expect(sasTimesOf("https://a/b?st=2026-03-02T10%3A05%3A00Z&se=2026-03-02T11:00:00Z&sig=XXXXX")).toEqual({
      startMs: at(5),
      expiryMs: at(60),
    });
    expect(sasTimesOf("https://a/b?st=%E0%A4%A&se=garbage")).toEqual({});
  });
});

describe("activity normalisation", () => {
  it("pairs start and end, treats Success as Succeeded, drops failures, keeps start-only as unconfirmed", () => {
    const events: ActivityEvent[] = [
      ...activityOp({
        op: "Microsoft.Storage/storageAccounts/regenerateKey/action",
        resourceId: ACCOUNT_ID,
        atMs: at(1),
        body: { keyName: "key1" },
        oddCasing: true,
        duplicateEnd: true,
      }),
      ...activityOp({
        op: "Microsoft.Storage/storageAccounts/write",
        resourceId: ACCOUNT_ID,
        atMs: at(2),
        outcome: "failed",
      }),
      ...activityOp({
        op: "Microsoft.Web/sites/write",
        resourceId: `${ACCOUNT_ID}/../site`,
        atMs: at(3),
        outcome: "startOnly",
      }),
    ];
    const n = normaliseActivity(events);
    expect(n.failedOperations).toBe(1);
    expect(n.mergedEvents).toBe(3);
    expect(n.changes.map((c) => [c.operationKey, c.confirmed, c.timeMs])).toEqual([
      ["microsoft.storage/storageaccounts/regeneratekey/action", true, at(1)],
      ["microsoft.web/sites/write", false, at(3) - 20_000],
    ]);
    expect(n.changes[0]!.body).toEqual({ keyName: "key1" });
    expect(n.changes[0]!.resourceGroup).toBe("rg-data");
  });

  it("keeps a deployment and its child writes apart although they share a CorrelationId", () => {
    const events = [
      ...activityOp({
        op: "Microsoft.Resources/deployments/write",
        resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Resources/deployments/d",
        atMs: at(1),
        correlationId: "c1",
      }),
      ...activityOp({
        op: "Microsoft.Storage/storageAccounts/write",
        resourceId: ACCOUNT_ID,
        atMs: at(1),
        correlationId: "c1",
      }),
    ];
    expect(normaliseActivity(events).changes).toHaveLength(2);
  });

  it("reads request bodies from a JSON string, an object or a nested Properties_d, and ignores garbage", () => {
    const base = {
      timeMs: at(0),
      operationName: "Microsoft.Storage/storageAccounts/write",
      status: "Succeeded",
      resourceId: ACCOUNT_ID,
    };
    const n = normaliseActivity([
      {
        ...base,
        correlationId: "1",
        properties: { requestbody: '{"properties":{"allowSharedKeyAccess":false}}' },
      },
      {
        ...base,
        correlationId: "2",
        properties: { RequestBody: { properties: { publicNetworkAccess: "Disabled" } } },
      },
      { ...base, correlationId: "3", properties: { Properties_d: { requestbody: '{"keyName":"key2"}' } } },
      { ...base, correlationId: "4", properties: { requestbody: "{not json" } },
      { ...base, correlationId: "5", timeMs: Number.NaN },
    ]);
    expect(n.invalidEvents).toBe(1);
    expect(n.changes.map((c) => c.body)).toEqual([
      { properties: { allowSharedKeyAccess: false } },
      { properties: { publicNetworkAccess: "Disabled" } },
      { keyName: "key2" },
      undefined,
    ]);
    expect(["Accept", "Start", "Failure", "Success", "weird"].map(phaseOf)).toEqual([
      "start",
      "start",
      "failure",
      "success",
      "other",
    ]);
  });
});

describe("settings", () => {
  it("names the bad field", () => {
    expect(() => parseRootCauseSettings({ lookbackMs: -1 })).toThrow(/field lookbackMs/);
    expect(() => parseRootCauseSettings({ apps: [{ resourceId: "orders-api" }] })).toThrow(
      /field apps\.0\.resourceId/,
    );
    expect(() => parseRootCauseSettings({ lookback: 5 })).toThrow(/root-cause settings/);
    expect(parseRootCauseSettings().lookbackMs).toBe(120 * MIN);
  });
});
