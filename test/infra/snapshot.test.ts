import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { INCIDENT_ROW_COLUMNS } from "../../src/monitor/incident-row.js";
import { analyzeKql } from "../support/kusto-analyzer.js";
import {
  ALERT_EMAILS,
  DEPLOYER_PRINCIPAL_ID,
  LISTED_ACCOUNT_IDS,
  MONITOR_PRIVATE_LINK_SCOPE_ID,
  VARIANTS,
  sharedInfraBuild,
  type InfraBuild,
  type Variant,
} from "./infra-build.js";

/**
 * Every deployment variant (default as `azd up` runs it, private networking, with the app's own endpoint
 * private too, with Azure Monitor behind a private link scope, incidents into Azure Monitor) evaluated with `bicep snapshot` (the resources ARM would deploy, with parameters, variables,
 * conditions, loops and module scopes resolved) and checked for what the variant promises.
 */
interface PredictedResource {
  id: string;
  type: string;
  name: string;
  location?: string;
  tags?: Record<string, string>;
  properties?: Record<string, unknown>;
}

let shared: InfraBuild;
const snapshots = {} as Record<Variant["name"], PredictedResource[]>;

beforeAll(async () => {
  shared = await sharedInfraBuild();
  for (const v of VARIANTS) {
    const result = shared.variants[v.name];
    if (result.snapshot.length > 0) continue;
    snapshots[v.name] = (
      JSON.parse(readFileSync(result.snapshotFile, "utf8")) as { predictedResources: PredictedResource[] }
    ).predictedResources;
  }
}, 600_000);

const ofType = (variant: Variant["name"], type: string) =>
  snapshots[variant].filter((r) => r.type.toLowerCase() === type.toLowerCase());
const props = (r: PredictedResource | undefined) => (r?.properties ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(VARIANTS.map((v) => [v.name]))("variant %s", (name) => {
  it("builds its parameters and evaluates with bicep snapshot, with zero diagnostics", () => {
    const result = shared.variants[name as Variant["name"]];
    expect(result.buildParams.map((d) => `${d.rule}: ${d.message}`)).toEqual([]);
    expect(result.snapshot.map((d) => `${d.rule}: ${d.message}`)).toEqual([]);
    expect(snapshots[name as Variant["name"]]?.length).toBeGreaterThan(10);
  });

  it("wires the data by default: the Activity Log and the listed accounts' logs go to the workspace", () => {
    const v = name as Variant["name"];
    const settings = ofType(v, "Microsoft.Insights/diagnosticSettings");
    const workspace = ofType(v, "Microsoft.OperationalInsights/workspaces")[0]!;
    const activity = settings.filter((s) =>
      /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Insights/.test(s.id),
    );
    expect(activity).toHaveLength(1);
    expect(props(activity[0]).workspaceId).toBe(workspace.id);
    expect(
      props(activity[0])
        .logs.map((l: { category: string }) => l.category)
        .sort(),
    ).toEqual(["Administrative", "Policy", "Security"]);
    for (const account of LISTED_ACCOUNT_IDS) {
      const services = settings
        .filter((s) => s.id.startsWith(`${account}/`))
        .map((s) => s.id.slice(account.length + 1).split("/")[0])
        .sort();
      expect(services, account).toEqual(["blobServices", "fileServices", "queueServices", "tableServices"]);
    }
    const site = ofType(v, "Microsoft.Web/sites")[0];
    expect(site?.tags?.["azd-service-name"]).toBe("triage");
  });

  it("sets what common deny policies check: no shared keys, public blobs or cross-tenant replication, TLS 1.2, HTTPS only", () => {
    const v = name as Variant["name"];
    // Only the product's own accounts (host and state): the listed accounts are not deployed, only wired.
    expect(ofType(v, "Microsoft.Storage/storageAccounts")).toHaveLength(2);
    for (const account of ofType(v, "Microsoft.Storage/storageAccounts"))
      expect(props(account), account.name).toMatchObject({
        allowSharedKeyAccess: false,
        allowBlobPublicAccess: false,
        allowCrossTenantReplication: false,
        minimumTlsVersion: "TLS1_2",
        supportsHttpsTrafficOnly: true,
      });
    const site = ofType(v, "Microsoft.Web/sites")[0]!;
    expect(props(site).httpsOnly).toBe(true);
    expect(props(site).siteConfig.minTlsVersion).toBe("1.2");
    for (const policy of ofType(v, "Microsoft.Web/sites/basicPublishingCredentialsPolicies"))
      expect(props(policy).allow, policy.name).toBe(false);
    expect(props(ofType(v, "Microsoft.KeyVault/vaults")[0])).toMatchObject({
      enableRbacAuthorization: true,
      enablePurgeProtection: true,
    });
  });

  it("makes the deployer (azd's AZURE_PRINCIPAL_ID) the webhook secret editor", () => {
    const officer = ofType(name as Variant["name"], "Microsoft.Authorization/roleAssignments").filter((r) =>
      String(props(r).roleDefinitionId).endsWith("/b86a8fe4-44ce-4948-aee5-eccb2c155cd7"),
    );
    expect(officer).toHaveLength(1);
    expect(props(officer[0]).principalId).toBe(DEPLOYER_PRINCIPAL_ID);
    expect(officer[0]!.id).toContain("/Microsoft.KeyVault/vaults/");
  });
});

describe("default variant", () => {
  it("keeps public endpoints and creates no network, no incident table", () => {
    expect(ofType("default", "Microsoft.Network/virtualNetworks")).toEqual([]);
    expect(ofType("default", "Microsoft.Network/privateEndpoints")).toEqual([]);
    expect(ofType("default", "Microsoft.Insights/dataCollectionRules")).toEqual([]);
    for (const account of ofType("default", "Microsoft.Storage/storageAccounts"))
      expect(props(account).publicNetworkAccess, account.name).toBe("Enabled");
    expect(props(ofType("default", "Microsoft.Web/sites")[0]).publicNetworkAccess).toBe("Enabled");
    for (const monitor of [
      ...ofType("default", "Microsoft.OperationalInsights/workspaces"),
      ...ofType("default", "Microsoft.Insights/components"),
    ])
      expect(props(monitor), monitor.name).toMatchObject({
        publicNetworkAccessForIngestion: "Enabled",
        publicNetworkAccessForQuery: "Enabled",
      });
    expect(ofType("default", "Microsoft.Insights/privateLinkScopes/scopedResources")).toEqual([]);
  });
});

describe("private variant", () => {
  it("integrates the app with a delegated subnet and routes all its traffic through it", () => {
    const network = ofType("private", "Microsoft.Network/virtualNetworks")[0];
    const subnets = props(network).subnets as Array<{ name: string; properties: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const app = subnets.find((s) => s.name === "app");
    expect(app?.properties.delegations[0].properties.serviceName).toBe("Microsoft.App/environments");
    const site = ofType("private", "Microsoft.Web/sites")[0];
    expect(props(site).virtualNetworkSubnetId).toBe(`${network!.id}/subnets/app`);
    expect(props(site).outboundVnetRouting).toEqual({ allTraffic: true });
  });

  it("reaches host storage (blob, queue, table), the state tables and Key Vault through private endpoints", () => {
    const storage = ofType("private", "Microsoft.Storage/storageAccounts");
    const host = storage.find((s) => /h[a-z0-9]+$/.test(s.name) && s.name.includes("triah"))!;
    const state = storage.find((s) => s !== host)!;
    const vault = ofType("private", "Microsoft.KeyVault/vaults")[0]!;
    const endpoints = ofType("private", "Microsoft.Network/privateEndpoints").map((e) => {
      const connection = props(e).privateLinkServiceConnections[0].properties;
      return `${connection.privateLinkServiceId}#${connection.groupIds.join(",")}`;
    });
    expect(endpoints.sort()).toEqual(
      [
        `${host.id}#blob`,
        `${host.id}#queue`,
        `${host.id}#table`,
        `${state.id}#table`,
        `${vault.id}#vault`,
      ].sort(),
    );
    // Each endpoint registers in a private DNS zone linked to the network.
    expect(ofType("private", "Microsoft.Network/privateEndpoints/privateDnsZoneGroups")).toHaveLength(5);
    expect(ofType("private", "Microsoft.Network/privateDnsZones")).toHaveLength(4);
    expect(ofType("private", "Microsoft.Network/privateDnsZones/virtualNetworkLinks")).toHaveLength(4);
  });

  it("turns public network access off on storage and Key Vault, and leaves the dashboard's endpoint public", () => {
    for (const r of [
      ...ofType("private", "Microsoft.Storage/storageAccounts"),
      ...ofType("private", "Microsoft.KeyVault/vaults"),
    ]) {
      expect(props(r).publicNetworkAccess, r.name).toBe("Disabled");
      expect(props(r).networkAcls.defaultAction, r.name).toBe("Deny");
    }
    expect(props(ofType("private", "Microsoft.Web/sites")[0]).publicNetworkAccess).toBe("Enabled");
  });
});

describe("private-dashboard variant", () => {
  it("turns the app's public inbound access off and reaches it through a private endpoint in its own zone", () => {
    const site = ofType("private-dashboard", "Microsoft.Web/sites")[0]!;
    // What "Function apps should disable public network access" policies check.
    expect(props(site).publicNetworkAccess).toBe("Disabled");
    const toSite = ofType("private-dashboard", "Microsoft.Network/privateEndpoints").filter(
      (e) => props(e).privateLinkServiceConnections[0].properties.privateLinkServiceId === site.id,
    );
    expect(toSite.map((e) => props(e).privateLinkServiceConnections[0].properties.groupIds)).toEqual([
      ["sites"],
    ]);
    expect(props(toSite[0]).subnet.id).toMatch(/\/subnets\/private-endpoints$/);
    // Its DNS zone group points at the App Service zone (the name is resolved per cloud at deployment).
    const zones = ofType("private-dashboard", "Microsoft.Network/privateDnsZones");
    expect(zones).toHaveLength(5);
    const sitesZone = zones.find((z) => z.name.includes("azurewebsites"))!;
    expect(sitesZone.name).toContain("privatelink.azurewebsites.net");
    const group = ofType("private-dashboard", "Microsoft.Network/privateEndpoints/privateDnsZoneGroups").find(
      (g) => g.id.startsWith(toSite[0]!.id),
    );
    // The snapshot leaves the expressions unevaluated: the zone id's expression, inside the `?? ''` of the output.
    expect(props(group).privateDnsZoneConfigs[0].properties.privateDnsZoneId).toContain(
      sitesZone.id.replace(/^\[|\]$/g, ""),
    );
    expect(ofType("private-dashboard", "Microsoft.Network/privateDnsZones/virtualNetworkLinks")).toHaveLength(
      5,
    );
    // Everything else is as in the private variant.
    expect(ofType("private-dashboard", "Microsoft.Network/privateEndpoints")).toHaveLength(6);
  });
});

describe("private-monitor variant", () => {
  it("turns public ingestion and query off on the workspace and Application Insights, and the endpoint's", () => {
    for (const monitor of [
      ...ofType("private-monitor", "Microsoft.OperationalInsights/workspaces"),
      ...ofType("private-monitor", "Microsoft.Insights/components"),
    ])
      expect(props(monitor), monitor.name).toMatchObject({
        publicNetworkAccessForIngestion: "Disabled",
        publicNetworkAccessForQuery: "Disabled",
      });
    const endpoint = ofType("private-monitor", "Microsoft.Insights/dataCollectionEndpoints")[0]!;
    expect(props(endpoint).networkAcls.publicNetworkAccess).toBe("Disabled");
  });

  it("adds exactly those three to the given private link scope, in the scope's own resource group", () => {
    const scoped = ofType("private-monitor", "Microsoft.Insights/privateLinkScopes/scopedResources");
    for (const r of scoped)
      expect(r.id.startsWith(`${MONITOR_PRIVATE_LINK_SCOPE_ID}/scopedResources/`)).toBe(true);
    expect(scoped.map((r) => String(props(r).linkedResourceId).toLowerCase()).sort()).toEqual(
      [
        ofType("private-monitor", "Microsoft.OperationalInsights/workspaces")[0]!.id,
        ofType("private-monitor", "Microsoft.Insights/components")[0]!.id,
        ofType("private-monitor", "Microsoft.Insights/dataCollectionEndpoints")[0]!.id,
      ]
        .map((id) => id.toLowerCase())
        .sort(),
    );
  });
});

describe("azure-monitor variant", () => {
  it("creates the custom table with exactly the columns the app writes, and a rule whose stream matches", () => {
    const table = ofType("azure-monitor", "Microsoft.OperationalInsights/workspaces/tables")[0];
    expect(table?.name.endsWith("/StorageAuthTriage_CL")).toBe(true);
    const columns = props(table).schema.columns as Array<{ name: string; type: string }>;
    expect(columns.map((c) => c.name)).toEqual([...INCIDENT_ROW_COLUMNS]);
    const rule = ofType("azure-monitor", "Microsoft.Insights/dataCollectionRules")[0];
    const declared = props(rule).streamDeclarations["Custom-StorageAuthTriage"].columns;
    expect(declared).toEqual(columns);
    expect(props(rule).dataFlows[0]).toMatchObject({
      streams: ["Custom-StorageAuthTriage"],
      outputStream: "Custom-StorageAuthTriage_CL",
    });
    expect(props(rule).dataCollectionEndpointId).toBe(
      ofType("azure-monitor", "Microsoft.Insights/dataCollectionEndpoints")[0]!.id,
    );
  });

  it("lets the app identity publish through the rule, and nothing more", () => {
    const rule = ofType("azure-monitor", "Microsoft.Insights/dataCollectionRules")[0]!;
    const onRule = ofType("azure-monitor", "Microsoft.Authorization/roleAssignments").filter((r) =>
      r.id.startsWith(`${rule.id}/`),
    );
    expect(onRule.map((r) => String(props(r).roleDefinitionId).split("/").pop())).toEqual([
      "3913510d-42f4-4e42-8a64-420c390055eb",
    ]);
  });

  it("alerts an Action Group with a log search rule whose KQL is valid for the table", () => {
    const group = ofType("azure-monitor", "Microsoft.Insights/actionGroups")[0];
    expect(props(group).emailReceivers.map((r: { emailAddress: string }) => r.emailAddress)).toEqual(
      ALERT_EMAILS,
    );
    const alert = ofType("azure-monitor", "Microsoft.Insights/scheduledQueryRules")[0];
    expect(props(alert).actions.actionGroups).toEqual([group!.id]);
    const query = props(alert).criteria.allOf[0].query as string;
    const columns = props(ofType("azure-monitor", "Microsoft.OperationalInsights/workspaces/tables")[0])
      .schema.columns as Array<{ name: string; type: string }>;
    const diagnostics = analyzeKql(query, {
      StorageAuthTriage_CL: Object.fromEntries(
        columns.map((c) => [c.name, c.type === "boolean" ? "bool" : c.type]),
      ),
    }).filter((d) => d.severity === "Error");
    expect(diagnostics).toEqual([]);
    // The dimensions split on columns the query keeps.
    for (const d of props(alert).criteria.allOf[0].dimensions) expect(query).toContain(d.name);
  });

  it("tells the app where to write (endpoint, rule id, stream) and which accounts to expect logs from", () => {
    // The settings depend on other resources, so the snapshot keeps them as an ARM expression: read the
    // value each setting gets in it.
    const settingIn = (variant: Variant["name"], key: string) => {
      const text = String(ofType(variant, "Microsoft.Web/sites/config")[0]?.properties);
      const at = text.indexOf(`createObject('key', '${key}', 'value', `);
      expect(at, `${variant} ${key}`).toBeGreaterThanOrEqual(0);
      return text.slice(at, at + 400);
    };
    expect(settingIn("azure-monitor", "TRIAGE_MONITOR_ENDPOINT")).toMatch(
      /dataCollectionEndpoints\/[^']+', '[^']+'\)\.logsIngestion\.endpoint/,
    );
    expect(settingIn("azure-monitor", "TRIAGE_MONITOR_RULE_ID")).toMatch(
      /dataCollectionRules\/[^)]+\)\.immutableId/,
    );
    expect(settingIn("azure-monitor", "TRIAGE_MONITOR_STREAM")).toMatch(
      /streamName|Custom-StorageAuthTriage/,
    );
    expect(settingIn("default", "TRIAGE_MONITOR_ENDPOINT")).toMatch(
      /^createObject\('key', 'TRIAGE_MONITOR_ENDPOINT', 'value', ''\)/,
    );
    for (const v of VARIANTS)
      expect(settingIn(v.name, "TRIAGE_EXPECTED_ACCOUNTS")).toMatch(
        /^createObject\('key', 'TRIAGE_EXPECTED_ACCOUNTS', 'value', 'stinvoicesprod01,stcdnorigin13'\)/,
      );
  });
});
