import { describe, expect, it } from "vitest";
import {
  describeRootCause,
  emptyEvidence,
  explainFromEvidence,
  parseRootCauseSettings,
} from "../../src/correlate/index.js";
import {
  ACCOUNT,
  ACCOUNT_ID,
  activityOp,
  at,
  failing,
  incidentFrom,
  key1,
  MIN,
  NEW_KEY1_HASH,
  RG,
  runScenario,
  sasHash,
  SUB,
  traffic,
} from "./scenario.js";

const SAS_AF = { errorCode: "AuthenticationFailed", authType: "SAS" };
const KEY_AF = { errorCode: "AuthenticationFailed", authType: "AccountKey" };

function sasUri(st: number, se: number): string {
  const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));
  return `https://${ACCOUNT}.blob.core.windows.net/data/report.csv?sv=2024-08-04&st=${iso(st)}&se=${iso(se)}&sr=b&sp=r&sig=XXXXX`;
}

describe("clock skew", () => {
  it("flags a SAS that fails while its st is ahead and then succeeds minutes later", () => {
    const sig = "5".repeat(64);
    const sas = {
      authType: "SAS",
      authHash: sasHash(key1(), sig),
      callerIp: "10.3.0.4",
      uri: sasUri(at(5), at(65)),
    };
    const requests = [
      // other SAS traffic works all along
      ...traffic(at(-60), at(40), MIN, {
        authType: "SAS",
        authHash: sasHash(key1(), "6".repeat(64)),
        callerIp: "10.3.0.8",
        uri: sasUri(at(-70), at(120)),
      }),
      ...traffic(at(0), at(5), 20_000, failing(sas)),
      ...traffic(at(5) + 2_000, at(30), MIN, sas),
    ];
    const { result, incident } = runScenario(requests, [], SAS_AF, at(60));
    expect(result.clockSkew.suspected).toBe(true);
    expect(result.clockSkew.evidence).toHaveLength(1);
    expect(result.clockSkew.evidence[0]).toContain("SAS 55555555…");
    expect(result.clockSkew.evidence[0]).toContain("st 10:05:00 UTC was still up to 5 min in the future");
    expect(result.clockSkew.evidence[0]).toContain("the same SAS succeeded from 10:05:02 UTC");
    expect(describeRootCause(incident).at(-1)).toContain("Clock skew suspected");
  });

  it("does not flag a plainly expired SAS", () => {
    const sas = {
      authType: "SAS",
      authHash: sasHash(key1(), "7".repeat(64)),
      callerIp: "10.3.0.5",
      uri: sasUri(at(-600), at(-180)),
    };
    const requests = traffic(at(0), at(30), MIN, failing(sas));
    const { result } = runScenario(requests, [], SAS_AF, at(60));
    expect(result.clockSkew.suspected).toBe(false);
    expect(result.clockSkew.evidence).toEqual([]);
    expect(result.clockSkew.ruledOut?.[0]).toContain("a plainly expired SAS, not clock skew");
  });

  it("does not flag a SAS whose start is hours ahead (a deliberate future start)", () => {
    const sas = {
      authType: "SAS",
      authHash: sasHash(key1(), "8".repeat(64)),
      callerIp: "10.3.0.6",
      uri: sasUri(at(300), at(900)),
    };
    const { result } = runScenario(traffic(at(0), at(30), MIN, failing(sas)), [], SAS_AF, at(60));
    expect(result.clockSkew.suspected).toBe(false);
    expect(result.clockSkew.ruledOut?.[0]).toContain("deliberately future start");
  });

  it("flags Shared Key failures confined to one host, intermittent and after idle, while the same key works elsewhere", () => {
    const requests = [
      ...traffic(at(-120), at(40), MIN, { callerIp: "10.0.0.4" }),
      ...traffic(at(-120), at(40), MIN, { callerIp: "10.0.0.5" }),
      // the sleepy host: active until -60, idle for an hour, then a burst of failures with some successes
      ...traffic(at(-120), at(-60), 5 * MIN, { callerIp: "10.0.0.9" }),
      ...traffic(at(0), at(20), 20_000, failing({ callerIp: "10.0.0.9" })),
      ...traffic(at(1), at(20), 3 * MIN, { callerIp: "10.0.0.9" }),
    ];
    const { result } = runScenario(requests, [], KEY_AF, at(60));
    expect(result.clockSkew.suspected).toBe(true);
    const e = result.clockSkew.evidence.join(" ");
    expect(e).toContain("fails from 10.0.0.9 only");
    expect(e).toContain("same key succeeds from 10.0.0.4 and 10.0.0.5");
    expect(e).toContain("intermittent");
    expect(e).toContain("idle for 1 h");
    expect(result.changes).toEqual([]);
  });

  it("flags a host that failed persistently while the same key works elsewhere, but not a rotation half-rolled out", () => {
    const persistent = [
      ...traffic(at(-60), at(40), MIN, { callerIp: "10.0.0.4" }),
      ...traffic(at(-60), at(0), MIN, { callerIp: "10.0.0.7" }),
      ...traffic(at(0), at(40), MIN, failing({ callerIp: "10.0.0.7" })),
    ];
    expect(runScenario(persistent, [], KEY_AF, at(60)).result.clockSkew.suspected).toBe(true);

    // key1 regenerated at -1: host .4 got the new key and works, host .7 still signs with the old one
    const rotation = [
      ...traffic(at(-60), at(-1), MIN, { callerIp: "10.0.0.4" }),
      ...traffic(at(-1), at(40), MIN, { callerIp: "10.0.0.4", authHash: key1(NEW_KEY1_HASH) }),
      ...traffic(at(-60), at(0), MIN, { callerIp: "10.0.0.7" }),
      ...traffic(at(0), at(40), MIN, failing({ callerIp: "10.0.0.7" })),
    ];
    const activity = activityOp({
      op: "Microsoft.Storage/storageAccounts/regenerateKey/action",
      resourceId: ACCOUNT_ID,
      atMs: at(-1) - 30_000,
      body: { keyName: "key1" },
    });
    const { result } = runScenario(rotation, activity, KEY_AF, at(60));
    expect(result.clockSkew.suspected).toBe(false);
    expect(result.changes.map((c) => c.kind)).toEqual(["key-regenerated"]);
    expect(result.clockSkew.ruledOut?.join(" ")).toContain("follow from the rotation, not from clock skew");
  });

  it("a gateway change ranked first explains one address failing every call; intermittent successes still point to a clock", () => {
    const gateway = activityOp({
      op: "Microsoft.Network/applicationGateways/write",
      resourceId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/applicationGateways/agw-data`,
      atMs: at(-1),
    });
    const everyCall = [
      ...traffic(at(-60), at(40), MIN, { callerIp: "10.0.0.4" }),
      ...traffic(at(-60), at(0), MIN, { callerIp: "10.0.0.7" }),
      ...traffic(at(0), at(40), MIN, failing({ callerIp: "10.0.0.7" })),
    ];
    const proxied = runScenario(everyCall, gateway, KEY_AF, at(60)).result;
    expect(proxied.changes[0]?.kind).toBe("gateway-changed");
    expect(proxied.clockSkew.suspected).toBe(false);
    expect(proxied.clockSkew.evidence).toEqual([]);
    const why = proxied.clockSkew.ruledOut?.join(" ") ?? "";
    expect(why).toContain("fails from 10.0.0.7 only");
    expect(why).toContain("never succeeded again after its first failure nor failed after idle");
    expect(why).toContain("explains one failing address better than clock skew");

    const drifting = [...everyCall, ...traffic(at(1), at(40), 7 * MIN, { callerIp: "10.0.0.7" })];
    const skewed = runScenario(drifting, gateway, KEY_AF, at(60)).result;
    expect(skewed.changes[0]?.kind).toBe("gateway-changed");
    expect(skewed.clockSkew.suspected).toBe(true);
    expect(skewed.clockSkew.evidence.join(" ")).toContain("intermittent");
  });

  it("flags OAuth tokens of one principal rejected from one host only", () => {
    const oid = "cccccccc-0000-0000-0000-000000000001";
    const principal = { authType: "OAuth", authHash: "E".repeat(64), requesterObjectId: oid };
    const requests = [
      ...traffic(at(-60), at(40), MIN, { ...principal, callerIp: "10.4.0.2" }),
      ...traffic(at(-60), at(0), MIN, { ...principal, callerIp: "10.4.0.1" }),
      ...traffic(
        at(0),
        at(40),
        MIN,
        failing({ ...principal, callerIp: "10.4.0.1" }, "InvalidAuthenticationInfo", 401),
      ),
    ];
    const { result } = runScenario(
      requests,
      [],
      { errorCode: "InvalidAuthenticationInfo", authType: "OAuth", statusCode: 401 },
      at(60),
    );
    expect(result.clockSkew.suspected).toBe(true);
    expect(result.clockSkew.evidence[0]).toContain("rejected from 10.4.0.1 only");
  });

  it("falls back on the incident's SAS windows when there is no per-request evidence", () => {
    const sas = {
      authType: "SAS",
      authHash: sasHash(key1(), "9".repeat(64)),
      callerIp: "10.3.0.9",
      uri: sasUri(at(4), at(60)),
    };
    const incident = incidentFrom(traffic(at(0), at(4), 30_000, failing(sas)), SAS_AF);
    expect(incident.sasWindows[0]!.notYetValid).toBeGreaterThan(0);
    const result = explainFromEvidence(
      incident,
      [],
      emptyEvidence(),
      { windowFromMs: at(-120), windowToMs: at(60) },
      parseRootCauseSettings(),
    );
    expect(result.clockSkew.suspected).toBe(true);
    expect(result.clockSkew.evidence[0]).toContain("start time st");
  });
});
