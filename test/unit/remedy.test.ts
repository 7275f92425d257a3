import { describe, expect, it } from "vitest";
import type { ActivityEvent } from "../../src/model/activity.js";
import type { Incident } from "../../src/model/incident.js";
import type { ServiceType, StorageRequest } from "../../src/model/storage-request.js";
import { ALL_CODE_ENTRIES } from "../../src/codes/error-codes.js";
import { POLICY_REMEDIES } from "../../src/remedy/build.js";
import { analyzedIncidents } from "../support/analyzed-incidents.js";

/** Remedies for stories the simulator does not tell: a removed role, an ABAC condition, queues, private callers. */

const SUB = "6d7a1e1c-0b6f-4c53-9d2f-1f0c2b3a4d5e";
const ACCOUNT_ID = `/subscriptions/${SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stunit01`;
const P = "0f9e8d7c-6b5a-4c3d-9e2f-1a2b3c4d5e6f";
const T0 = Date.parse("2026-11-20T10:00:00Z");
const MIN = 60_000;

function req(over: Partial<StorageRequest> & { timeMs: number; operation: string }): StorageRequest {
  const service: ServiceType = over.service ?? "blob";
  return {
    account: "stunit01",
    service,
    statusCode: 403,
    statusText: "AuthorizationPermissionMismatch",
    authType: "OAuth",
    callerIp: "20.1.2.3",
    userAgent: "azsdk-python-storage-blob/12.23.1",
    uri: `https://stunit01.${service}.core.windows.net:443/raw/a.csv`,
    objectKey: "/stunit01/raw/a.csv",
    resourceId: `${ACCOUNT_ID}/${service}Services/default`,
    requesterObjectId: P,
    requesterAppId: "11111111-2222-3333-4444-555555555555",
    requesterTenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    ...over,
  };
}

async function incidentOf(requests: StorageRequest[], activity: ActivityEvent[] = []): Promise<Incident> {
  const incidents = await analyzedIncidents({ requests, activity });
  expect(incidents).toHaveLength(1);
  return incidents[0]!;
}

const failures = (n: number, over: Partial<StorageRequest> = {}, op = "GetBlob") =>
  Array.from({ length: n }, (_, k) => req({ timeMs: T0 + 5 * MIN + k * 30_000, operation: op, ...over }));

describe("RBAC remedies beyond the simulator", () => {
  it("a removed role assignment: restore exactly it, and name who removed it", async () => {
    const ok = Array.from({ length: 10 }, (_, k) =>
      req({ timeMs: T0 - 30 * MIN + k * MIN, operation: "GetBlob", statusCode: 200, statusText: "Success" }),
    );
    const removal: ActivityEvent = {
      timeMs: T0 + 3 * MIN,
      operationName: "Microsoft.Authorization/roleAssignments/delete",
      status: "Succeeded",
      resourceId: `${ACCOUNT_ID}/blobServices/default/containers/raw/providers/Microsoft.Authorization/roleAssignments/4b7c0e2f-1d3a-4c5b-9e8f-7a6b5c4d3e2f`,
      subscriptionId: SUB,
      resourceGroup: "rg-data",
      caller: "alice@contoso.com",
      properties: {
        responseBody: JSON.stringify({
          properties: {
            principalId: P,
            principalType: "ServicePrincipal",
            roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1`,
            scope: `${ACCOUNT_ID}/blobServices/default/containers/raw`,
          },
        }),
      },
    };
    const i = await incidentOf([...ok, ...failures(12)], [removal]);
    const r = i.remedy!;
    expect(r.kind, r.change).toBe("restore-role-assignment");
    expect(r.change).toContain("alice@contoso.com");
    expect(r.commands).toHaveLength(1);
    expect(r.commands[0]!.command).toBe(
      `az role assignment create --assignee-object-id ${P} --assignee-principal-type ServicePrincipal --role 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1 --scope ${ACCOUNT_ID}/blobServices/default/containers/raw`,
    );
    expect(r.commands[0]!.placeholders).toEqual([]);
  });

  it("an ABAC condition denied the request: the condition is the cause, no role is granted", async () => {
    const details = [
      {
        action: "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
        roleAssignmentId: "7f6e5d4c3b2a41908f7e6d5c4b3a2910",
        roleDefinitionId: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        principals: [{ id: P, type: "ServicePrincipal" }],
        type: "RBAC",
        result: "Denied",
        reason: "MissingAttributes",
      },
    ];
    const i = await incidentOf(failures(8, { authorizationDetails: details }));
    const r = i.remedy!;
    expect(r.kind).toBe("abac-condition");
    expect(r.change).toContain("condition");
    expect(r.change).toContain("Storage Blob Data Reader");
    expect(r.commands.every((c) => !c.command.includes("role assignment create"))).toBe(true);
    expect(r.commands[0]!.command).toContain("7f6e5d4c3b2a41908f7e6d5c4b3a2910");
  });

  it("queue send and receive on one queue: Queue Data Contributor on that queue, type from AuthorizationDetails", async () => {
    const details = [
      {
        action: "Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action",
        principals: [{ id: P, type: "User" }],
        type: "RBAC",
        result: "Denied",
        reason: "NoApplicablePolicy",
      },
    ];
    const q = { service: "queue" as const, objectKey: "/stunit01/jobs", authorizationDetails: details };
    const i = await incidentOf([...failures(6, q, "PutMessage"), ...failures(6, q, "GetMessages")]);
    const r = i.remedy!;
    expect(r.kind).toBe("assign-role");
    expect(r.commands).toHaveLength(1);
    expect(r.commands[0]!.command).toBe(
      `az role assignment create --assignee-object-id ${P} --assignee-principal-type User --role 974c5e8b-45b9-4653-ba55-5f855dd0fb88 --scope ${ACCOUNT_ID}/queueServices/default/queues/jobs`,
    );
    expect(r.bicep).toContain("974c5e8b-45b9-4653-ba55-5f855dd0fb88");
  });

  it("reads in two containers: Blob Data Reader on the account, and the facts say why", async () => {
    const i = await incidentOf([
      ...failures(5),
      ...failures(5, { objectKey: "/stunit01/curated/b.csv", timeMs: T0 + 20 * MIN }),
    ]);
    const r = i.remedy!;
    expect(r.kind).toBe("assign-role");
    expect(r.commands[0]!.command).toContain(
      `--role 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1 --scope ${ACCOUNT_ID}`,
    );
    expect(r.commands[0]!.command.endsWith(ACCOUNT_ID)).toBe(true);
    expect(r.facts.map((f) => f.value).join(" ")).toContain("span 2 containers");
  });
});

describe("network remedies beyond the simulator", () => {
  it("a private caller rejected: private endpoint / DNS first, a subnet rule with named placeholders, never Allow", async () => {
    const i = await incidentOf(
      failures(10, {
        statusText: "AuthorizationFailure",
        authType: "AccountKey",
        callerIp: "10.4.5.6",
        authHash: "key1(ABC)",
      }),
    );
    const r = i.remedy!;
    expect(r.kind).toBe("fix-private-endpoint");
    expect(r.commands.map((c) => c.command).join("\n")).toContain("nslookup stunit01.blob.core.windows.net");
    const rule = r.commands.find((c) => c.command.includes("network-rule add"))!;
    expect(rule.command).toContain("--resource-group rg-data");
    expect(rule.placeholders.map((p) => p.name)).toEqual(["vnet-name", "subnet-name"]);
    for (const c of r.commands) expect(c.command).not.toContain("--default-action");
  });
});

describe("policy remedies: each setting that refuses every caller has its own fix", () => {
  const commandsOf = (r: NonNullable<Incident["remedy"]>) => r.commands.map((c) => c.command).join("\n");
  const WRONG_FOR_POLICY = [
    "role assignment",
    "allow-shared-key-access",
    "keys renew",
    "generate-sas",
    "network-rule",
  ];

  it("every policy code of the code table has its own remedy builder", () => {
    const policyCodes = ALL_CODE_ENTRIES.filter((e) => e.rules.some((r) => r.decision === "policy")).map(
      (e) => e.code,
    );
    expect(policyCodes.length).toBeGreaterThan(0);
    for (const code of policyCodes) expect(POLICY_REMEDIES[code], code).toBeDefined();
  });

  it("AccountIsDisabled: read the subscription's state; nothing about keys, roles, SAS or the network", async () => {
    const i = await incidentOf(failures(6, { statusText: "AccountIsDisabled" }));
    const r = i.remedy!;
    expect(i.decision).toBe("policy");
    expect(r.kind).toBe("reactivate-subscription");
    expect(commandsOf(r)).toContain(`az account show --subscription ${SUB}`);
    for (const c of r.commands) expect(c.placeholders).toEqual([]);
    for (const w of WRONG_FOR_POLICY) expect(commandsOf(r)).not.toContain(w);
    expect(r.facts).toContainEqual({ label: "Subscription", value: SUB });
  });

  it("AccountIsDisabled without the account's ARM id: the subscription is looked up when the command runs", async () => {
    const i = await incidentOf(failures(6, { statusText: "AccountIsDisabled", resourceId: undefined }));
    expect(commandsOf(i.remedy!)).toContain(
      `--subscription "$(az storage account show --name stunit01 --query id --output tsv | cut -d/ -f3)"`,
    );
  });

  it("InsufficientAccountPermissions on the secondary endpoint: says so, and reads the redundancy", async () => {
    const i = await incidentOf(
      failures(
        6,
        {
          statusText: "InsufficientAccountPermissions",
          authType: "AccountKey",
          authHash: "key1(ABC)",
          uri: "https://stunit01-secondary.blob.core.windows.net:443/raw/a.csv",
        },
        "PutBlob",
      ),
    );
    const r = i.remedy!;
    expect(r.kind).toBe("check-account-configuration");
    expect(r.change).toContain("stunit01-secondary.blob.core.windows.net");
    expect(r.facts).toContainEqual({
      label: "Endpoint",
      value: "stunit01-secondary.blob.core.windows.net (secondary, read-only)",
    });
    expect(commandsOf(r)).toContain("sku:sku.name");
    for (const w of WRONG_FOR_POLICY) expect(commandsOf(r)).not.toContain(w);
  });

  it("InsufficientAccountPermissions on the primary endpoint: no secondary claim", async () => {
    const i = await incidentOf(failures(6, { statusText: "InsufficientAccountPermissions" }));
    expect(i.remedy!.kind).toBe("check-account-configuration");
    expect(i.remedy!.change).not.toContain("secondary endpoint");
    expect(i.remedy!.facts.map((f) => f.label)).not.toContain("Endpoint");
  });

  it("RequestForbiddenByContainerEncryptionPolicy: the container's enforced scope is read; the callers change", async () => {
    const i = await incidentOf(
      failures(
        6,
        { statusText: "RequestForbiddenByContainerEncryptionPolicy", authType: "OAuth" },
        "PutBlob",
      ),
    );
    const r = i.remedy!;
    expect(r.kind).toBe("use-container-encryption-scope");
    expect(r.change).toContain("x-ms-encryption-scope");
    expect(commandsOf(r)).toBe(
      `az storage container-rm show --storage-account stunit01 --resource-group rg-data --name raw --query "{defaultEncryptionScope:defaultEncryptionScope, denyEncryptionScopeOverride:denyEncryptionScopeOverride}" --output table`,
    );
    for (const w of WRONG_FOR_POLICY) expect(commandsOf(r)).not.toContain(w);
  });

  it("CannotVerifyCopySource from the logs: the source, which the logs do not record, is to be captured; the destination is left alone", async () => {
    const i = await incidentOf(
      failures(
        6,
        {
          statusText: "CannotVerifyCopySource",
          authType: "SAS",
          uri: "https://stunit01.blob.core.windows.net:443/raw/a.csv?comp=block&blockid=AA&sv=2022-11-02&sp=rwc&sr=c&sig=XXXXX",
        },
        "PutBlockFromURL",
      ),
    );
    expect(i.decision).toBe("sas");
    const r = i.remedy!;
    expect(r.kind).toBe("investigate");
    expect(r.commands).toEqual([]);
    expect(r.change).toMatch(/x-ms-copy-source/);
    expect(r.change).toMatch(/auth-triage explain/);
    expect(r.wrongIf.join(" ")).toMatch(/destination/);
  });

  it("a hostile container name stays one quoted word", async () => {
    const i = await incidentOf(
      failures(3, {
        statusText: "RequestForbiddenByContainerEncryptionPolicy",
        objectKey: "/stunit01/x$(id)/a.csv",
        uri: "https://stunit01.blob.core.windows.net:443/x%24(id)/a.csv",
      }),
    );
    expect(commandsOf(i.remedy!)).toMatch(/ --name 'x\$[^']*' --query /);
  });
});
