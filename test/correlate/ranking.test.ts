import { describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { createRootCauseExplainer, describeRootCause, isRbacPropagation } from "../../src/correlate/index.js";
import {
  ACCOUNT_ID,
  activityOp,
  at,
  failing,
  incidentFrom,
  key2,
  kinds,
  MIN,
  OTHER_SUB,
  RG,
  runScenario,
  SUB,
  traffic,
} from "./scenario.js";

const REGEN = "Microsoft.Storage/storageAccounts/regenerateKey/action";
const OTHER_RG_DEPLOYMENT = `/subscriptions/${SUB}/resourceGroups/rg-web-other/providers/Microsoft.Resources/deployments/web-release-42`;
const OTHER_SUB_ACCOUNT = `/subscriptions/${OTHER_SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/prodstore`;

/** Two app hosts sign with key1 and fail from `onsetMin` on (key1 regenerated just before). */
function keyRotation(onsetMin = 3) {
  const okA = traffic(at(-120), at(onsetMin), MIN, { callerIp: "10.0.0.4" });
  const okB = traffic(at(-120), at(onsetMin), MIN, { callerIp: "10.0.0.5" });
  const badA = traffic(at(onsetMin), at(40), MIN, failing({ callerIp: "10.0.0.4" }));
  const badB = traffic(at(onsetMin), at(40), MIN, failing({ callerIp: "10.0.0.5" }));
  const key2User = traffic(at(-120), at(60), MIN, { callerIp: "10.0.0.9", authHash: key2() });
  return [...okA, ...okB, ...badA, ...badB, ...key2User];
}

describe("activity ranking", () => {
  it("ranks a regenerateKey of the same key slot first and ignores every distractor", () => {
    const activity = [
      // the cause: odd casing, Success instead of Succeeded, duplicated end event
      ...activityOp({
        op: REGEN,
        resourceId: ACCOUNT_ID,
        atMs: at(2),
        caller: "secops@contoso.com",
        body: { keyName: "key1" },
        oddCasing: true,
        duplicateEnd: true,
      }),
      // portal listKeys just before onset: routine noise
      ...activityOp({
        op: "Microsoft.Storage/storageAccounts/listKeys/action",
        resourceId: ACCOUNT_ID,
        atMs: at(2.5),
        caller: "alice@contoso.com",
        outcome: "endOnly",
      }),
      // unrelated deployment in another resource group, right before onset
      ...activityOp({
        op: "Microsoft.Resources/deployments/write",
        resourceId: OTHER_RG_DEPLOYMENT,
        atMs: at(2.8),
      }),
      // an account with the same name in another subscription
      ...activityOp({ op: REGEN, resourceId: OTHER_SUB_ACCOUNT, atMs: at(1), body: { keyName: "key1" } }),
      // a failed regeneration changed nothing
      ...activityOp({
        op: REGEN,
        resourceId: ACCOUNT_ID,
        atMs: at(1.5),
        body: { keyName: "key1" },
        outcome: "failed",
      }),
      // after onset: cannot be the cause
      ...activityOp({ op: REGEN, resourceId: ACCOUNT_ID, atMs: at(20), body: { keyName: "key1" } }),
    ];
    const { result, incident } = runScenario(
      keyRotation(),
      activity,
      { errorCode: "AuthenticationFailed", authType: "AccountKey" },
      at(60),
    );
    expect(kinds(result)).toEqual(["key-regenerated"]);
    const top = result.changes[0]!;
    expect(top.time).toBe(new Date(at(2)).toISOString());
    expect(top.caller).toBe("secops@contoso.com");
    expect(top.source).toBe("activity");
    expect(top.score).toBeGreaterThan(0.9);
    expect(top.why).toContain("failing callers sign with the key slot that was regenerated");
    expect(top.why).toContain("1 min before the first failure");
    expect(result.clockSkew.suspected).toBe(false);
    expect(result.clockSkew.ruledOut?.join(" ")).toContain(
      "key1 of prodstore was regenerated at 10:02 UTC: failures signed with the old key follow from the rotation",
    );
    const words = describeRootCause(incident);
    expect(words[0]).toContain("key1 of prodstore was regenerated at 10:02 UTC by secops@contoso.com");
    expect(words[0]).toContain("do not rotate again");
  });

  it("prefers the regenerated slot the callers sign with over a closer regeneration of the other slot", () => {
    const activity = [
      ...activityOp({ op: REGEN, resourceId: ACCOUNT_ID, atMs: at(-7.5), body: { keyName: "key2" } }),
      ...activityOp({ op: REGEN, resourceId: ACCOUNT_ID, atMs: at(-8), body: { keyName: "key1" } }),
    ];
    const { result } = runScenario(
      keyRotation(-7),
      activity,
      { errorCode: "AuthenticationFailed", authType: "AccountKey" },
      at(60),
    );
    expect(result.changes.map((c) => c.summary)).toEqual(["key1 of prodstore was regenerated"]);
  });

  it("drops a regeneration when the very key the failing callers use still succeeds after it", () => {
    const requests = [
      ...traffic(at(-90), at(0), MIN, { callerIp: "10.0.0.4" }),
      ...traffic(at(0), at(40), MIN, failing({ callerIp: "10.0.0.4" })),
      // the same key1 hash keeps working from another host: key1 was not the key regenerated
      ...traffic(at(-90), at(40), MIN, { callerIp: "10.0.0.6" }),
    ];
    const activity = activityOp({
      op: REGEN,
      resourceId: ACCOUNT_ID,
      atMs: at(-30),
      body: { keyName: "key1" },
    });
    const { result } = runScenario(
      requests,
      activity,
      { errorCode: "AuthenticationFailed", authType: "AccountKey" },
      at(60),
    );
    expect(kinds(result)).toEqual([]);
  });

  it("orders two fitting changes of different fit: the key rotation before an app settings write", () => {
    const site = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Web/sites/orders-api`;
    const activity = [
      ...activityOp({ op: REGEN, resourceId: ACCOUNT_ID, atMs: at(-20), body: { keyName: "key1" } }),
      ...activityOp({
        op: "Microsoft.Web/sites/config/write",
        resourceId: `${site}/config/appsettings`,
        atMs: at(-30),
      }),
    ];
    const { result } = runScenario(
      keyRotation(-19),
      activity,
      { errorCode: "AuthenticationFailed", authType: "AccountKey" },
      at(60),
    );
    expect(kinds(result)).toEqual(["key-regenerated", "app-config-changed"]);
    expect(result.changes[0]!.score).toBeGreaterThan(result.changes[1]!.score);
    expect(result.changes[1]!.why).toContain("in the account's resource group rg-data");
  });

  it("keeps nothing when the only changes come after onset or before the lookback", () => {
    const site = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Web/sites/orders-api`;
    const activity = [
      ...activityOp({ op: REGEN, resourceId: ACCOUNT_ID, atMs: at(10), body: { keyName: "key1" } }),
      ...activityOp({
        op: "Microsoft.Web/sites/config/write",
        resourceId: `${site}/config/appsettings`,
        atMs: at(-200),
      }),
    ];
    const run = runScenario(
      keyRotation(),
      activity,
      { errorCode: "AuthenticationFailed", authType: "AccountKey" },
      at(60),
    );
    expect(run.result.changes).toEqual([]);
    const longer = runScenario(
      keyRotation(),
      activity,
      { errorCode: "AuthenticationFailed", authType: "AccountKey" },
      at(60),
      {
        lookbackMs: 240 * MIN,
      },
    );
    expect(longer.result.changes.map((c) => c.time)).toEqual([new Date(at(-200)).toISOString()]);
  });
});

const P1 = "aaaaaaaa-0000-0000-0000-000000000001";
const P2 = "aaaaaaaa-0000-0000-0000-000000000002";
const CONTRIBUTOR = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe`;
const RA = (scope: string, id: string) => `${scope}/providers/Microsoft.Authorization/roleAssignments/${id}`;

describe("RBAC", () => {
  const oauth = { authType: "OAuth", authHash: "F".repeat(64), requesterObjectId: P1, callerIp: "10.1.0.7" };

  it("ranks the removal of the failing principal's role first; other principals and other accounts are not causes", () => {
    const requests = [
      ...traffic(at(-90), at(0), MIN, oauth),
      ...traffic(at(0), at(59), MIN, failing(oauth, "AuthorizationPermissionMismatch")),
    ];
    const otherAccount = ACCOUNT_ID.replace("prodstore", "archivestore");
    const activity = [
      ...activityOp({
        op: "Microsoft.Authorization/roleAssignments/delete",
        resourceId: RA(ACCOUNT_ID, "ra-1"),
        atMs: at(-10),
        caller: "iam-bot",
        responseBody: { properties: { principalId: P1, roleDefinitionId: CONTRIBUTOR, scope: ACCOUNT_ID } },
      }),
      ...activityOp({
        op: "Microsoft.Authorization/roleAssignments/delete",
        resourceId: RA(ACCOUNT_ID, "ra-2"),
        atMs: at(-2),
        responseBody: { properties: { principalId: P2, roleDefinitionId: CONTRIBUTOR, scope: ACCOUNT_ID } },
      }),
      ...activityOp({
        op: "microsoft.authorization/roleassignments/delete",
        resourceId: RA(otherAccount, "ra-3"),
        atMs: at(-1),
        responseBody: { properties: { principalId: P1, roleDefinitionId: CONTRIBUTOR, scope: otherAccount } },
      }),
    ];
    const { result, incident } = runScenario(
      requests,
      activity,
      { errorCode: "AuthorizationPermissionMismatch", authType: "OAuth" },
      at(60),
    );
    expect(kinds(result)).toEqual(["role-assignment-removed"]);
    expect(result.changes[0]!.resourceId).toBe(RA(ACCOUNT_ID, "ra-1"));
    expect(result.changes[0]!.summary).toContain("Storage Blob Data Contributor");
    expect(result.changes[0]!.summary).toContain(P1);
    expect(isRbacPropagation(incident)).toBe(false);
  });

  it("places the account by its incident's own failures when the evidence does not know it", () => {
    // Whether a removal at a resource group's scope reaches the account depends on where the account
    // lives. The evidence learns that from _ResourceId of the rows it keeps; past its caps (or from rows
    // it did not keep) the incident's own failures still tell it (RootCauseContext.accountResourceId).
    const noId = { ...oauth, resourceId: undefined };
    const requests = [
      ...traffic(at(-90), at(0), MIN, noId),
      ...traffic(at(0), at(59), MIN, failing(noId, "AuthorizationPermissionMismatch")),
    ];
    const rg = (name: string) => `/subscriptions/${SUB}/resourceGroups/${name}`;
    const removal = (scope: string, id: string) =>
      activityOp({
        op: "Microsoft.Authorization/roleAssignments/delete",
        resourceId: RA(scope, id),
        atMs: at(-10),
        responseBody: { properties: { principalId: P1, roleDefinitionId: CONTRIBUTOR, scope } },
      });
    const activity = [...removal(rg("rg-elsewhere"), "ra-other"), ...removal(rg(RG), "ra-home")];
    const challenge = { errorCode: "AuthorizationPermissionMismatch", authType: "OAuth" };
    const explain = (context: { accountResourceId?: string }) => {
      const explainer = createRootCauseExplainer({ clock: fixedClock(new Date(at(60))) });
      for (const r of requests) explainer.observer.observe(r);
      return explainer.explain(incidentFrom(requests, challenge), activity, {
        windowFromMs: at(-180),
        windowToMs: at(60),
        ...context,
      });
    };
    const ids = (r: ReturnType<typeof explain>) => r.changes.map((c) => c.resourceId);
    // Unplaced, neither removal can be told apart from the other.
    expect(ids(explain({}))).toContain(RA(rg("rg-elsewhere"), "ra-other"));
    const placed = explain({ accountResourceId: ACCOUNT_ID });
    expect(ids(placed)).toEqual([RA(rg(RG), "ra-home")]);
  });

  const newPrincipal = { ...oauth, requesterObjectId: P2, callerIp: "10.1.0.8" };
  const assignment = (atMs: number) =>
    activityOp({
      op: "Microsoft.Authorization/roleAssignments/write",
      resourceId: RA(ACCOUNT_ID, "ra-new"),
      atMs,
      caller: "deployer@contoso.com",
      body: { properties: { principalId: P2, roleDefinitionId: CONTRIBUTOR, scope: ACCOUNT_ID } },
      bodyAs: "object",
    });

  it("ranks a strong fit made long before onset above a weak fit made just before it", () => {
    const requests = [
      ...traffic(at(-90), at(0), MIN, oauth),
      ...traffic(at(0), at(59), MIN, failing(oauth, "AuthorizationPermissionMismatch")),
    ];
    const activity = [
      ...activityOp({
        op: "Microsoft.Authorization/roleAssignments/delete",
        resourceId: RA(ACCOUNT_ID, "ra-1"),
        atMs: at(-25),
        responseBody: { properties: { principalId: P1, roleDefinitionId: CONTRIBUTOR, scope: ACCOUNT_ID } },
      }),
      ...activityOp({
        op: "Microsoft.ManagedIdentity/userAssignedIdentities/write",
        resourceId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-orders`,
        atMs: at(-1),
      }),
    ];
    const { result } = runScenario(
      requests,
      activity,
      { errorCode: "AuthorizationPermissionMismatch", authType: "OAuth" },
      at(60),
    );
    expect(kinds(result)).toEqual(["role-assignment-removed", "identity-changed"]);
  });

  it("calls failures right after a new role assignment that stop on their own RBAC propagation delay, not an outage", () => {
    const requests = [
      ...traffic(at(0), at(6), 30_000, failing(newPrincipal, "AuthorizationPermissionMismatch")),
      ...traffic(at(8), at(30), MIN, newPrincipal),
    ];
    const { result, incident } = runScenario(
      requests,
      assignment(at(-1)),
      { errorCode: "AuthorizationPermissionMismatch", authType: "OAuth" },
      at(60),
    );
    expect(kinds(result)).toEqual(["rbac-propagation"]);
    expect(result.changes[0]!.summary).toContain("not an outage");
    expect(result.changes[0]!.why).toContain("stopped");
    expect(isRbacPropagation(incident)).toBe(true);
    expect(describeRootCause(incident)[0]).toContain("RBAC propagation delay");
  });

  it("does not call it propagation when the failures go on to the end of the window", () => {
    const requests = traffic(at(0), at(58), 30_000, failing(newPrincipal, "AuthorizationPermissionMismatch"));
    const { result, incident } = runScenario(
      requests,
      assignment(at(-1)),
      { errorCode: "AuthorizationPermissionMismatch", authType: "OAuth" },
      at(60),
    );
    expect(kinds(result)).toEqual(["role-assignment-created"]);
    expect(result.changes[0]!.score).toBeLessThan(0.5);
    expect(isRbacPropagation(incident)).toBe(false);
  });
});

describe("account settings and network", () => {
  const keyCaller = { callerIp: "10.0.0.4" };

  it("matches allowSharedKeyAccess=false to KeyBasedAuthenticationNotPermitted and ignores other settings writes", () => {
    const requests = [
      ...traffic(at(-60), at(0), MIN, keyCaller),
      ...traffic(at(0), at(50), MIN, failing(keyCaller, "KeyBasedAuthenticationNotPermitted")),
    ];
    const write = "Microsoft.Storage/storageAccounts/write";
    const activity = [
      ...activityOp({
        op: write,
        resourceId: ACCOUNT_ID,
        atMs: at(-4),
        caller: "policy-admin@contoso.com",
        body: { properties: { allowSharedKeyAccess: false } },
        bodyAs: "object",
      }),
      ...activityOp({
        op: write,
        resourceId: ACCOUNT_ID,
        atMs: at(-1),
        body: { properties: { minimumTlsVersion: "TLS1_2" } },
      }),
      ...activityOp({
        op: "Microsoft.Resources/deployments/write",
        resourceId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Resources/deployments/infra-7`,
        atMs: at(-6),
      }),
    ];
    const { result, incident } = runScenario(
      requests,
      activity,
      { errorCode: "KeyBasedAuthenticationNotPermitted", authType: "AccountKey" },
      at(60),
    );
    expect(kinds(result)).toEqual(["shared-key-disabled", "deployment"]);
    expect(describeRootCause(incident)[0]).toContain(
      "Shared Key access was disabled on prodstore (allowSharedKeyAccess=false)",
    );
  });

  it("folds a deployment into the child change it made", () => {
    const requests = [
      ...traffic(at(-60), at(0), MIN, keyCaller),
      ...traffic(at(0), at(50), MIN, failing(keyCaller, "KeyBasedAuthenticationNotPermitted")),
    ];
    const activity = [
      ...activityOp({
        op: "Microsoft.Resources/deployments/write",
        resourceId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Resources/deployments/infra-8`,
        atMs: at(-3),
        correlationId: "dep-8",
      }),
      ...activityOp({
        op: "Microsoft.Storage/storageAccounts/write",
        resourceId: ACCOUNT_ID,
        atMs: at(-3.5),
        correlationId: "dep-8",
        body: { properties: { allowSharedKeyAccess: false } },
      }),
    ];
    const { result } = runScenario(
      requests,
      activity,
      { errorCode: "KeyBasedAuthenticationNotPermitted", authType: "AccountKey" },
      at(60),
    );
    expect(kinds(result)).toEqual(["shared-key-disabled"]);
    expect(result.changes[0]!.why).toContain("part of deployment infra-8");
  });

  it("matches network rule changes to AuthorizationFailure; a hub DNS change ranks lower and another subscription never counts", () => {
    const requests = [
      ...traffic(at(-60), at(0), MIN, keyCaller),
      ...traffic(at(0), at(50), MIN, failing(keyCaller, "AuthorizationFailure")),
    ];
    const activity = [
      ...activityOp({
        op: "Microsoft.Storage/storageAccounts/write",
        resourceId: ACCOUNT_ID,
        atMs: at(-3),
        caller: "netops@contoso.com",
        body: {
          properties: {
            networkAcls: { defaultAction: "Deny", ipRules: [{ value: "20.0.0.0/24" }] },
            publicNetworkAccess: "Enabled",
          },
        },
      }),
      ...activityOp({
        op: "Microsoft.Network/privateDnsZones/A/write",
        resourceId: `/subscriptions/${SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net/A/prodstore`,
        atMs: at(-1),
      }),
      ...activityOp({
        op: "Microsoft.Network/privateEndpoints/write",
        resourceId: `/subscriptions/${OTHER_SUB}/resourceGroups/rg-x/providers/Microsoft.Network/privateEndpoints/pe-1`,
        atMs: at(-1),
      }),
    ];
    const { result } = runScenario(
      requests,
      activity,
      { errorCode: "AuthorizationFailure", authType: "AccountKey" },
      at(60),
    );
    expect(kinds(result)).toEqual(["network-rules-changed", "dns-changed"]);
    expect(result.changes[0]!.summary).toBe(
      "Network rules of prodstore changed (publicNetworkAccess=Enabled, defaultAction=Deny, 1 IP rule(s))",
    );
    expect(result.changes[1]!.why).toContain("another resource group (rg-hub)");
  });
});

describe("gateways and apps in front of the callers", () => {
  const apim = `/subscriptions/${SUB}/resourceGroups/rg-apim/providers/Microsoft.ApiManagement/service/edge-apim`;
  const gw = { callerIp: "20.1.1.1" };
  const requests = [...traffic(at(-60), at(0), MIN, gw), ...traffic(at(0), at(50), MIN, failing(gw))];
  const activity = [
    ...activityOp({
      op: "Microsoft.ApiManagement/service/apis/policies/write",
      resourceId: `${apim}/apis/blob-proxy/policies/policy`,
      atMs: at(-5),
      caller: "apim-admin@contoso.com",
    }),
    ...activityOp({
      op: "Microsoft.Resources/deployments/write",
      resourceId: `/subscriptions/${OTHER_SUB}/resourceGroups/rg-apim/providers/Microsoft.Resources/deployments/d1`,
      atMs: at(-1),
    }),
  ];

  it("ranks a gateway policy change higher when the gateway is a known caller", () => {
    const unknown = runScenario(
      requests,
      activity,
      { errorCode: "AuthenticationFailed", authType: "AccountKey" },
      at(60),
    );
    const known = runScenario(
      requests,
      activity,
      { errorCode: "AuthenticationFailed", authType: "AccountKey" },
      at(60),
      {
        apps: [{ resourceId: apim, callerIps: ["20.1.1.1"] }],
      },
    );
    expect(kinds(unknown.result)).toEqual(["gateway-changed"]);
    expect(kinds(known.result)).toEqual(["gateway-changed"]);
    expect(known.result.changes[0]!.score).toBeGreaterThan(unknown.result.changes[0]!.score);
    expect(known.result.changes[0]!.why).toContain("on the calling app");
  });
});

describe("SAS", () => {
  const sasUri = (extra = "") =>
    `https://prodstore.blob.core.windows.net/data/a.csv?sv=2024-08-04&st=2026-03-02T08%3A00%3A00Z&se=2026-03-03T08%3A00%3A00Z&sr=b&sp=r${extra}&sig=XXXXX`;

  it("matches a regenerated key1 to failures of SAS minted from key1 (story 14)", () => {
    const sas = {
      authType: "SAS",
      authHash: `key1(${"A".repeat(64)}),SasSignature(${"1".repeat(64)})`,
      callerIp: "10.5.0.4",
      uri: sasUri(),
    };
    const requests = [...traffic(at(-60), at(0), MIN, sas), ...traffic(at(0), at(40), MIN, failing(sas))];
    const activity = [
      ...activityOp({
        op: REGEN,
        resourceId: ACCOUNT_ID,
        atMs: at(-1),
        caller: "rotation-job",
        body: { keyName: "key1" },
      }),
      ...activityOp({
        op: "Microsoft.Storage/storageAccounts/listServiceSas/action",
        resourceId: ACCOUNT_ID,
        atMs: at(-0.5),
        outcome: "endOnly",
      }),
    ];
    const { result } = runScenario(
      requests,
      activity,
      { errorCode: "AuthenticationFailed", authType: "SAS" },
      at(60),
    );
    expect(kinds(result)).toEqual(["key-regenerated"]);
    expect(result.changes[0]!.score).toBeGreaterThan(0.9);
    expect(result.clockSkew.suspected).toBe(false);
  });

  it("matches revoked user delegation keys to failing user delegation SAS", () => {
    const udk =
      "&skoid=dddddddd-0000-0000-0000-000000000001&sktid=t&skt=2026-03-02T08%3A00%3A00Z&ske=2026-03-03T08%3A00%3A00Z&sks=b&skv=2024-08-04";
    const sas = {
      authType: "SAS",
      authHash: `SasSignature(${"2".repeat(64)})`,
      callerIp: "10.5.0.5",
      uri: sasUri(udk),
    };
    const requests = [...traffic(at(-60), at(0), MIN, sas), ...traffic(at(0), at(40), MIN, failing(sas))];
    const activity = [
      ...activityOp({
        op: "Microsoft.Storage/storageAccounts/revokeUserDelegationKeys/action",
        resourceId: ACCOUNT_ID,
        atMs: at(-2),
        caller: "secops@contoso.com",
      }),
      ...activityOp({ op: REGEN, resourceId: ACCOUNT_ID, atMs: at(-1), body: { keyName: "key2" } }),
    ];
    const { result } = runScenario(
      requests,
      activity,
      { errorCode: "AuthenticationFailed", authType: "SAS" },
      at(60),
    );
    expect(kinds(result)).toEqual(["user-delegation-keys-revoked"]);
    expect(result.changes[0]!.why).toContain("user delegation SAS");
  });
});

describe("one run, several incidents", () => {
  it("explains each incident with its own cause from one observer and one activity array", () => {
    const keyHost = { callerIp: "10.0.0.4" };
    const netHost = {
      callerIp: "52.1.1.1",
      authType: "OAuth",
      authHash: "E".repeat(64),
      requesterObjectId: P1,
    };
    const requests = [
      ...traffic(at(-60), at(0), MIN, keyHost),
      ...traffic(at(0), at(40), MIN, failing(keyHost)),
      ...traffic(at(-60), at(10), MIN, netHost),
      ...traffic(at(10), at(40), MIN, failing(netHost, "AuthorizationFailure")),
    ];
    const activity = [
      ...activityOp({ op: REGEN, resourceId: ACCOUNT_ID, atMs: at(-1), body: { keyName: "key1" } }),
      ...activityOp({
        op: "Microsoft.Storage/storageAccounts/write",
        resourceId: ACCOUNT_ID,
        atMs: at(9),
        body: { properties: { publicNetworkAccess: "Disabled" } },
      }),
    ];
    const explainer = createRootCauseExplainer({ clock: fixedClock(new Date(at(60))) });
    requests.forEach((r) => explainer.observer.observe(r));
    const keyIncident = incidentFrom(requests, { errorCode: "AuthenticationFailed", authType: "AccountKey" });
    const netIncident = incidentFrom(requests, { errorCode: "AuthorizationFailure", authType: "OAuth" });
    const window = { windowFromMs: at(-120), windowToMs: at(60) };
    const net = explainer.explain(netIncident, activity, window);
    const key = explainer.explain(keyIncident, activity, window);
    expect(key.changes.map((c) => c.kind)).toEqual(["key-regenerated"]);
    expect(net.changes.map((c) => c.kind)).toEqual(["network-rules-changed"]);
    expect(net.changes[0]!.summary).toContain("publicNetworkAccess=Disabled");
    // deterministic: the same call gives the same answer, and no window means "now" from the clock
    expect(explainer.explain(keyIncident, activity, window)).toEqual(key);
    expect(explainer.explain(keyIncident, activity)).toEqual(key);
  });
});
