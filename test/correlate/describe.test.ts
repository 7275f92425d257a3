import { describe, expect, it } from "vitest";
import { describeRootCause, guidanceWithRootCause, isRbacPropagation } from "../../src/correlate/index.js";
import type { ChangeCandidate } from "../../src/model/incident.js";
import { at, failing, incidentFrom, MIN, traffic } from "./scenario.js";

const base = incidentFrom(
  [
    ...traffic(
      at(0),
      at(10),
      MIN,
      failing(
        { callerIp: "10.0.0.4", authType: "OAuth", requesterObjectId: "p" },
        "AuthorizationPermissionMismatch",
      ),
    ),
  ],
  { errorCode: "AuthorizationPermissionMismatch", authType: "OAuth" },
);

const candidate = (over: Partial<ChangeCandidate>): ChangeCandidate => ({
  source: "activity",
  time: new Date(at(-1)).toISOString(),
  operation: "Microsoft.Authorization/roleAssignments/write",
  resourceId: "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/x",
  caller: "deployer@contoso.com",
  summary: "something changed",
  score: 0.9,
  why: "because",
  ...over,
});

describe("describeRootCause and guidance", () => {
  it("describes the top cause and a close runner-up, not a distant one", () => {
    const incident = {
      ...base,
      changes: [
        candidate({ summary: "A happened", advice: "undo A", score: 0.8 }),
        candidate({ summary: "B happened", score: 0.7 }),
        candidate({ summary: "C happened", score: 0.3 }),
      ],
    };
    expect(describeRootCause(incident)).toEqual([
      "A happened at 09:59 UTC by deployer@contoso.com; undo A.",
      "Also possible: B happened at 09:59 UTC by deployer@contoso.com.",
    ]);
  });

  it("says RBAC propagation is not an outage, in the sentences and in the guidance", () => {
    const incident = {
      ...base,
      changes: [
        candidate({
          kind: "rbac-propagation",
          summary: "RBAC propagation delay after a new role assignment",
          advice: "nothing to fix",
        }),
      ],
    };
    expect(isRbacPropagation(incident)).toBe(true);
    expect(describeRootCause(incident)[0]).toBe(
      "RBAC propagation delay after a new role assignment (assignment at 09:59 UTC by deployer@contoso.com): nothing to fix.",
    );
    const g = guidanceWithRootCause(incident);
    expect(g.summary.startsWith("RBAC propagation delay, not an outage")).toBe(true);
    expect(g.avoid[0]).toContain("Do not escalate this as an outage");
  });

  it("adds the skew verdict and its wrong fix", () => {
    const incident = { ...base, clockSkew: { suspected: true, evidence: ["host 10.0.0.9 is off."] } };
    expect(describeRootCause(incident)).toEqual([
      "Clock skew suspected: host 10.0.0.9 is off; fix the host's time sync (NTP) and do not rotate keys or re-issue SAS for it.",
    ]);
    expect(guidanceWithRootCause(incident).avoid.at(-1)).toBe(
      "Do not rotate keys or re-issue SAS to fix clock skew: fix the host's time sync.",
    );
  });

  it("says nothing when there is nothing to say", () => {
    expect(describeRootCause(base)).toEqual([]);
    expect(guidanceWithRootCause(base)).toEqual(base.guidance);
  });
});
