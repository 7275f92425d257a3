import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { guidanceWithRootCause } from "../../src/correlate/index.js";
import type { ActivityEvent } from "../../src/model/activity.js";
import {
  ACCOUNT_ID,
  activityOp,
  at,
  failing,
  MIN,
  OTHER_SUB,
  runScenario,
  SUB,
  traffic,
} from "./scenario.js";

const REGEN = "Microsoft.Storage/storageAccounts/regenerateKey/action";
const AF = { errorCode: "AuthenticationFailed", authType: "AccountKey" };

const requests = [
  ...traffic(at(-120), at(3), MIN, { callerIp: "10.0.0.4" }),
  ...traffic(at(3), at(40), MIN, failing({ callerIp: "10.0.0.4" })),
];
const cause = activityOp({
  op: REGEN,
  resourceId: ACCOUNT_ID,
  atMs: at(2),
  caller: "secops@contoso.com",
  body: { keyName: "key1" },
});

type DistractorKind =
  | "otherSubscription"
  | "listKeys"
  | "failedChange"
  | "afterOnset"
  | "otherAccount"
  | "diagnostics"
  | "otherGroupDeployment"
  | "tooOld";

interface Distractor {
  kind: DistractorKind;
  minutes: number;
  oddCasing: boolean;
  duplicateEnd: boolean;
}

function distractorEvents(d: Distractor, i: number): ActivityEvent[] {
  const common = { oddCasing: d.oddCasing, duplicateEnd: d.duplicateEnd, correlationId: `distractor-${i}` };
  const before = at(-Math.abs(d.minutes) % 110);
  switch (d.kind) {
    case "otherSubscription":
      return activityOp({
        ...common,
        op: "Microsoft.Storage/storageAccounts/write",
        resourceId: ACCOUNT_ID.replace(SUB, OTHER_SUB),
        atMs: before,
        body: { properties: { allowSharedKeyAccess: false } },
      });
    case "listKeys":
      return activityOp({
        ...common,
        op: "Microsoft.Storage/storageAccounts/listKeys/action",
        resourceId: ACCOUNT_ID,
        atMs: before,
        outcome: "endOnly",
      });
    case "failedChange":
      return activityOp({
        ...common,
        op: REGEN,
        resourceId: ACCOUNT_ID,
        atMs: before,
        body: { keyName: "key1" },
        outcome: "failed",
      });
    case "afterOnset":
      return activityOp({
        ...common,
        op: REGEN,
        resourceId: ACCOUNT_ID,
        atMs: at(5 + (Math.abs(d.minutes) % 50)),
        body: { keyName: "key1" },
      });
    case "otherAccount":
      return activityOp({
        ...common,
        op: REGEN,
        resourceId: ACCOUNT_ID.replace("prodstore", "otherstore"),
        atMs: before,
        body: { keyName: "key1" },
      });
    case "diagnostics":
      return activityOp({
        ...common,
        op: "Microsoft.Insights/diagnosticSettings/write",
        resourceId: `${ACCOUNT_ID}/providers/Microsoft.Insights/diagnosticSettings/ds`,
        atMs: before,
      });
    case "otherGroupDeployment":
      return activityOp({
        ...common,
        op: "Microsoft.Resources/deployments/write",
        resourceId: `/subscriptions/${SUB}/resourceGroups/rg-${i}/providers/Microsoft.Resources/deployments/d${i}`,
        atMs: before,
      });
    case "tooOld":
      return activityOp({
        ...common,
        op: REGEN,
        resourceId: ACCOUNT_ID,
        atMs: at(-130 - (Math.abs(d.minutes) % 500)),
        body: { keyName: "key1" },
      });
  }
}

const distractor: fc.Arbitrary<Distractor> = fc.record({
  kind: fc.constantFrom<DistractorKind>(
    "otherSubscription",
    "listKeys",
    "failedChange",
    "afterOnset",
    "otherAccount",
    "diagnostics",
    "otherGroupDeployment",
    "tooOld",
  ),
  minutes: fc.integer({ min: 1, max: 1000 }),
  oddCasing: fc.boolean(),
  duplicateEnd: fc.boolean(),
});

describe("distractors", () => {
  it("never displace the real cause nor appear as causes themselves", () => {
    fc.assert(
      fc.property(
        fc.array(distractor, { maxLength: 12 }),
        fc.integer({ min: 0, max: 12 }),
        (ds, insertAt) => {
          const noise = ds.flatMap(distractorEvents);
          const activity = [...noise.slice(0, insertAt), ...cause, ...noise.slice(insertAt)];
          const { result } = runScenario(requests, activity, AF, at(60));
          expect(result.changes).toHaveLength(1);
          expect(result.changes[0]!.kind).toBe("key-regenerated");
          expect(result.changes[0]!.time).toBe(new Date(at(2)).toISOString());
          expect(result.clockSkew.suspected).toBe(false);
        },
      ),
      { seed: 20260302, numRuns: 60 },
    );
  });

  it("a configured app only counts as the calling app when its addresses are among the failing callers", () => {
    const site = `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Web/sites/orders-api`;
    const activity = activityOp({
      op: "Microsoft.Web/sites/config/write",
      resourceId: `${site}/config/appsettings`,
      atMs: at(-5),
    });
    const gw = { callerIp: "10.0.0.4" };
    const reqs = [...traffic(at(-60), at(0), MIN, gw), ...traffic(at(0), at(40), MIN, failing(gw))];
    const caller = runScenario(reqs, activity, AF, at(60), {
      apps: [{ resourceId: site, callerIps: ["10.0.0.4"] }],
    });
    const notCaller = runScenario(reqs, activity, AF, at(60), {
      apps: [{ resourceId: site, callerIps: ["10.7.7.7"] }],
    });
    expect(caller.result.changes[0]!.why).toContain("on the calling app");
    expect(notCaller.result.changes[0]!.why).toContain("another resource group (rg-web)");
    expect(caller.result.changes[0]!.score).toBeGreaterThan(notCaller.result.changes[0]!.score);
  });

  it("weaves the causes into the verdict's guidance without mutating the table", () => {
    const { incident } = runScenario(requests, cause, AF, at(60));
    const before = JSON.stringify(incident.guidance);
    const g = guidanceWithRootCause(incident);
    expect(g.steps[0]).toContain("key1 of prodstore was regenerated at 10:02 UTC by secops@contoso.com");
    expect(g.steps.slice(1)).toEqual(incident.guidance.steps);
    expect(JSON.stringify(incident.guidance)).toBe(before);
  });
});
