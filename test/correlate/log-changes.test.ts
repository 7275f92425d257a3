import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { listWords } from "../../src/correlate/format.js";
import { createRootCauseExplainer, describeRootCause } from "../../src/correlate/index.js";
import { fixedClock } from "../../src/clock.js";
import { topValues } from "../../src/correlate/log-changes.js";
import {
  ACCOUNT_ID,
  activityOp,
  at,
  failing,
  incidentFrom,
  key1,
  key2,
  kinds,
  MIN,
  RG,
  runScenario,
  SUB,
  traffic,
  UA_NEW,
  UA_OLD,
} from "./scenario.js";
import { compareText } from "../../src/order.js";

const hostA = { callerIp: "10.0.0.4" };
const hostB = { callerIp: "10.0.0.5" };
const AF = { errorCode: "AuthenticationFailed", authType: "AccountKey" };

describe("changes seen in the logs", () => {
  it("reports an SDK upgrade at onset with before/after values, ranked above an unrelated deployment elsewhere", () => {
    const requests = [
      ...traffic(at(-90), at(0), MIN, { ...hostA, userAgent: UA_OLD }),
      ...traffic(at(-90), at(0), MIN, { ...hostB, userAgent: UA_OLD }),
      ...traffic(at(0), at(40), MIN, failing({ ...hostA, userAgent: UA_NEW })),
      ...traffic(at(0), at(40), MIN, failing({ ...hostB, userAgent: UA_NEW })),
      // a host that was not upgraded keeps working with the old SDK
      ...traffic(at(-90), at(40), MIN, { callerIp: "10.0.0.6", userAgent: UA_OLD }),
    ];
    const activity = activityOp({
      op: "Microsoft.Resources/deployments/write",
      resourceId: `/subscriptions/${SUB}/resourceGroups/rg-other/providers/Microsoft.Resources/deployments/x`,
      atMs: at(-1),
    });
    const { result, incident } = runScenario(requests, activity, AF, at(60));
    expect(kinds(result)).toEqual(["sdk-changed"]);
    const c = result.changes[0]!;
    expect(c.source).toBe("logs");
    expect(c.before).toBe(UA_OLD);
    expect(c.after).toBe(UA_NEW);
    expect(c.resourceId).toBe(ACCOUNT_ID);
    expect(c.why).toContain("2 failing caller(s) (10.0.0.4 and 10.0.0.5; 100% of the failures)");
    expect(c.why).toContain("still succeeds after onset");
    expect(describeRootCause(incident)[0]).toContain("changed their user agent");
  });

  it("says when the new value also succeeds after onset, and only an old value used after onset still succeeds", () => {
    const requests = [
      ...traffic(at(-90), at(0), MIN, { ...hostA, userAgent: UA_OLD }),
      ...traffic(at(0), at(40), MIN, failing({ ...hostA, userAgent: UA_NEW })),
      // Another host upgraded and works: the new SDK is not the whole story.
      ...traffic(at(-10), at(40), MIN, { callerIp: "10.0.0.7", userAgent: UA_NEW }),
      // The old SDK's last success elsewhere was before onset: it does not still succeed.
      ...traffic(at(-90), at(-30), MIN, { callerIp: "10.0.0.8", userAgent: UA_OLD }),
    ];
    const { result } = runScenario(requests, [], AF, at(60));
    const c = result.changes.find((x) => x.kind === "sdk-changed")!;
    expect(c.why).toContain(`but ${UA_NEW} also succeeds for some requests`);
    expect(c.why).not.toContain("still succeeds after onset");

    const stillOld = runScenario(
      [...requests, ...traffic(at(-90), at(40), MIN, { callerIp: "10.0.0.9", userAgent: UA_OLD })],
      [],
      AF,
      at(60),
    ).result.changes.find((x) => x.kind === "sdk-changed")!;
    expect(stillOld.why).toContain(`${UA_OLD} still succeeds after onset`);
    expect(stillOld.why).toContain("also succeeds for some requests");
  });

  it("reports an x-ms-version change and a web app deploy together, logs evidence first when it fits better", () => {
    const requests = [
      ...traffic(at(-90), at(0), MIN, { ...hostA, operationVersion: "2023-11-03" }),
      ...traffic(
        at(0),
        at(40),
        MIN,
        failing({ ...hostA, operationVersion: "2015-04-05" }, "InvalidAuthenticationInfo", 401),
      ),
    ];
    const site = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Web/sites/orders-api`;
    const activity = activityOp({
      op: "Microsoft.Web/sites/extensions/write",
      resourceId: `${site}/extensions/MSDeploy`,
      atMs: at(-3),
    });
    const { result } = runScenario(
      requests,
      activity,
      { errorCode: "InvalidAuthenticationInfo", authType: "AccountKey", statusCode: 401 },
      at(60),
    );
    expect(kinds(result)).toEqual(["version-changed", "app-deployed"]);
    expect(result.changes[0]!.before).toBe("2023-11-03");
    expect(result.changes[0]!.after).toBe("2015-04-05");
  });

  it("reports a key slot switch (key1 → key2)", () => {
    const requests = [
      ...traffic(at(-90), at(0), MIN, { ...hostA, authHash: key1() }),
      ...traffic(at(0), at(40), MIN, failing({ ...hostA, authHash: key2("D".repeat(64)) })),
      ...traffic(at(-90), at(40), MIN, { ...hostB, authHash: key1() }),
    ];
    const { result } = runScenario(requests, [], AF, at(60));
    expect(kinds(result)).toEqual(["key-slot-changed"]);
    expect(result.changes[0]!.before).toBe("key1");
    expect(result.changes[0]!.after).toBe("key2");
  });

  it("reports a switch of authentication type (OAuth → AccountKey) for KeyBasedAuthenticationNotPermitted", () => {
    const requests = [
      ...traffic(at(-90), at(0), MIN, { ...hostA, authType: "OAuth", authHash: "E".repeat(64) }),
      ...traffic(at(0), at(40), MIN, failing(hostA, "KeyBasedAuthenticationNotPermitted")),
    ];
    const { result } = runScenario(
      requests,
      [],
      { errorCode: "KeyBasedAuthenticationNotPermitted", authType: "AccountKey" },
      at(60),
    );
    expect(kinds(result)).toEqual(["auth-type-changed"]);
    expect(result.changes[0]!.before).toBe("OAuth");
    expect(result.changes[0]!.after).toBe("AccountKey");
  });

  it("reports failing addresses never seen before onset for AuthorizationFailure", () => {
    const requests = [
      ...traffic(at(-90), at(40), MIN, hostA),
      ...traffic(at(0), at(40), MIN, failing({ callerIp: "52.160.1.9" }, "AuthorizationFailure")),
      ...traffic(at(0), at(40), MIN, failing({ callerIp: "52.160.1.10" }, "AuthorizationFailure")),
    ];
    const { result } = runScenario(
      requests,
      [],
      { errorCode: "AuthorizationFailure", authType: "AccountKey" },
      at(60),
    );
    expect(kinds(result)).toEqual(["new-caller-addresses"]);
    expect(result.changes[0]!.after).toBe("52.160.1.10 and 52.160.1.9");
    expect(result.changes[0]!.before).toBe("10.0.0.4");
    expect(result.changes[0]!.advice).toMatch(/network rules or route them through the private endpoint/);
  });

  /**
   * Hosts that succeed from their own start at their own pace, and new addresses failing with three
   * challenges from three onsets: each incident names the addresses known before its onset, counted
   * here from the requests (each address's successes, of those that succeeded before onset).
   */
  function expectKnownAddressesNamed(
    hosts: ReadonlyArray<{ ip: string; startMin: number; paceMin: number }>,
  ) {
    const requests = [
      ...hosts.flatMap((h) => traffic(at(h.startMin), at(40), MIN * h.paceMin, { callerIp: h.ip })),
      ...traffic(at(-52), at(40), MIN, failing({ callerIp: "52.160.1.9" }, "AuthorizationFailure")),
      ...traffic(at(-40), at(40), MIN, failing({ callerIp: "52.160.2.9" }, "AuthenticationFailed")),
      ...traffic(at(0), at(40), MIN, failing({ callerIp: "52.160.3.9" }, "AuthorizationPermissionMismatch")),
    ];
    const explainer = createRootCauseExplainer({ clock: fixedClock(new Date(at(60))) });
    for (const r of requests) explainer.observer.observe(r);
    const ips = new Set(hosts.map((h) => h.ip));
    const challenges = ["AuthenticationFailed", "AuthorizationPermissionMismatch", "AuthorizationFailure"];
    for (const errorCode of challenges) {
      const incident = incidentFrom(requests, { errorCode, authType: "AccountKey" });
      const result = explainer.explain(incident, [], { windowFromMs: at(-180), windowToMs: at(60) });
      const fresh = result.changes.find((c) => c.kind === "new-caller-addresses");
      const onsetMs = Date.parse(incident.firstSeen);
      const known = new Map<string, number>();
      for (const r of requests)
        if (r.statusCode === 200 && ips.has(r.callerIp!))
          known.set(r.callerIp!, (known.get(r.callerIp!) ?? 0) + 1);
      for (const ip of [...known.keys()])
        if (!requests.some((r) => r.callerIp === ip && r.statusCode === 200 && r.timeMs < onsetMs))
          known.delete(ip);
      if (known.size === 0) {
        expect(fresh, errorCode).toBeUndefined();
        continue;
      }
      expect(fresh?.before, errorCode).toBe(topValues(known));
      expect(fresh?.why, errorCode).toContain(`while ${known.size} address(es) such as`);
    }
  }

  it("names the addresses known before each incident's onset, incident after incident of one account", () => {
    // Twelve addresses start succeeding five minutes apart, each at its own pace: an incident knows those
    // that succeeded before its onset, and an account's incidents with different onsets know different ones.
    expectKnownAddressesNamed(
      Array.from({ length: 12 }, (_, i) => ({
        ip: `10.1.0.${i + 1}`,
        startMin: -90 + 5 * i,
        paceMin: 1 + ((i * 7) % 4),
      })),
    );
  });

  it("names the most counted known addresses whatever order they first succeeded in, ties by address", () => {
    // Later addresses busier than earlier ones, and addresses alike in start and pace (equal counts).
    const host = fc.record({
      startMin: fc.integer({ min: -120, max: -2 }),
      paceMin: fc.integer({ min: 1, max: 6 }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(host, fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 9 }),
        (drawn) => {
          let n = 0;
          const hosts = drawn.flatMap(([h, copies]) =>
            Array.from({ length: copies }, () => ({ ...h, ip: `10.2.${n >> 8}.${n++ & 255}` })),
          );
          expectKnownAddressesNamed(hosts);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("does not send a signature failure from new addresses to the network rules", () => {
    const requests = [
      ...traffic(at(-90), at(40), MIN, hostA),
      ...traffic(at(0), at(40), MIN, failing({ callerIp: "52.160.1.9" }, "AuthenticationFailed")),
    ];
    const { result } = runScenario(
      requests,
      [],
      { errorCode: "AuthenticationFailed", authType: "AccountKey" },
      at(60),
    );
    const fresh = result.changes.find((c) => c.kind === "new-caller-addresses");
    expect(fresh?.advice).toMatch(/look at the new hosts themselves/);
    expect(fresh?.advice).toMatch(/network rules do not cause this error/);
  });

  it("reports a new source address of an OAuth principal", () => {
    const oid = "bbbbbbbb-0000-0000-0000-000000000001";
    const principal = { authType: "OAuth", authHash: "E".repeat(64), requesterObjectId: oid };
    const requests = [
      ...traffic(at(-90), at(0), MIN, { ...principal, callerIp: "10.2.0.4" }),
      ...traffic(
        at(0),
        at(40),
        MIN,
        failing({ ...principal, callerIp: "40.80.1.2" }, "AuthorizationFailure"),
      ),
    ];
    const { result } = runScenario(
      requests,
      [],
      { errorCode: "AuthorizationFailure", authType: "OAuth" },
      at(60),
    );
    expect(kinds(result)).toEqual(["new-caller-addresses"]);
    expect(result.changes[0]!.before).toBe("10.2.0.4");
    expect(result.changes[0]!.after).toBe("40.80.1.2");
  });

  it("reports nothing when the failing callers look exactly as before", () => {
    const requests = [...traffic(at(-90), at(0), MIN, hostA), ...traffic(at(0), at(40), MIN, failing(hostA))];
    const { result } = runScenario(requests, [], AF, at(60));
    expect(result.changes).toEqual([]);
    expect(result.clockSkew.suspected).toBe(false);
    expect(describeRootCause({ ...result, firstSeen: new Date(at(0)).toISOString() })).toEqual([]);
  });

  it("ignores a change seen on too small a share of the failures", () => {
    const requests = [
      ...traffic(at(-90), at(0), MIN, { ...hostA, userAgent: UA_OLD }),
      ...traffic(at(0), at(5), MIN, failing({ ...hostA, userAgent: UA_NEW })),
      // the bulk of the failures comes from a caller with no change
      ...traffic(at(-90), at(0), MIN, hostB),
      ...traffic(at(0), at(40), 15_000, failing(hostB)),
    ];
    const { result } = runScenario(requests, [], AF, at(60));
    expect(kinds(result)).toEqual([]);
  });
});

describe("values in words", () => {
  // The full sort topValues avoids: most counted first, ties by value, then listWords.
  function reference(counts: Map<string, number>, max: number): string {
    const sorted = [...counts].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
    return listWords(
      sorted.map(([v]) => v || "(empty)"),
      max,
    );
  }

  it("names the most counted values as a full sort would, and how many more there are", () => {
    fc.assert(
      fc.property(
        // Few distinct counts and short values: ties on counts, and an empty value, are common.
        fc.array(fc.tuple(fc.constantFrom("", "a", "b", "B", "c", "10.0.0.1", "10.0.0.10", "é"), fc.nat(4)), {
          maxLength: 12,
        }),
        fc.integer({ min: 1, max: 5 }),
        (entries, max) => {
          const counts = new Map(entries);
          expect(topValues(counts, max)).toBe(reference(counts, max));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("words a count larger than the items given", () => {
    expect(listWords(["a", "b", "c"], 3, 10)).toBe("a, b, c and 7 more");
    expect(listWords([], 3, 0)).toBe("");
  });
});
