import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  INFRA_DIR,
  REPO_ROOT,
  bicepFilesUnder,
  diagnosticsOf,
  locateBicep,
  runBicep,
  type Diagnostic,
} from "./bicep-cli.js";
import { sharedInfraBuild, type InfraBuild } from "./infra-build.js";

const files = bicepFilesUnder(INFRA_DIR);

function describeDiagnostics(diagnostics: Diagnostic[]): string {
  return diagnostics.map((d) => `${d.file}:${d.line} ${d.level} ${d.rule}: ${d.message}`).join("\n");
}

let shared: InfraBuild;
beforeAll(async () => {
  shared = await sharedInfraBuild();
}, 600_000);

describe("Bicep CLI", () => {
  it("is installed (a missing compiler fails, it is never skipped)", async () => {
    const run = await runBicep(["--version"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/Bicep CLI version \d+\.\d+\.\d+/);
    expect(locateBicep()).toMatch(/bicep$/);
  });

  it("finds the infra files", () => {
    const names = files.map((f) => relative(INFRA_DIR, f));
    expect(names).toContain("main.bicep");
    expect(names).toContain("main.bicepparam");
    expect(names.filter((n) => n.startsWith("modules/")).length).toBeGreaterThanOrEqual(13);
    // The shared build saw the same files.
    expect(shared.files).toEqual(files.map((f) => relative(REPO_ROOT, f)));
  });
});

describe("shared lint and build", () => {
  it("reports nothing outside the files checked one by one below (no diagnostic is lost)", () => {
    const elsewhere = (d: Diagnostic) => !shared.files.includes(d.file);
    expect(describeDiagnostics([...shared.lint, ...shared.build].filter(elsewhere))).toBe("");
  });
});

// Lint and build ran once for every file (test/infra/infra-build.ts); each file's share is checked here.
describe.each(files.map((f) => [relative(REPO_ROOT, f)]))("%s", (name) => {
  it("lints with zero diagnostics", () => {
    expect(describeDiagnostics(shared.lint.filter((d) => d.file === name))).toBe("");
  });

  it("builds with zero diagnostics", () => {
    expect(describeDiagnostics(shared.build.filter((d) => d.file === name))).toBe("");
    if (name.endsWith(".bicep")) expect(shared.templates[name], `${name} compiled`).toBeDefined();
    else {
      for (const [variant, result] of Object.entries(shared.variants)) {
        expect(describeDiagnostics(result.buildParams), variant).toBe("");
      }
    }
  });
});

describe("the checks above catch real problems", () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), "bicep-negative-"));
    copyFileSync(join(INFRA_DIR, "bicepconfig.json"), join(scratch, "bicepconfig.json"));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("reports a secret output, an unused parameter and a hard-coded cloud URL as errors", async () => {
    const file = join(scratch, "bad.bicep");
    writeFileSync(
      file,
      [
        "param unusedSetting string",
        "param location string = resourceGroup().location",
        "resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {",
        "  name: 'badaccount${uniqueString(resourceGroup().id)}'",
        "  location: location",
        "  kind: 'StorageV2'",
        "  sku: { name: 'Standard_LRS' }",
        "}",
        "output accountKey string = account.listKeys().keys[0].value",
        "output portal string = 'https://management.azure.com/'",
        "",
      ].join("\n"),
    );
    const diagnostics = await diagnosticsOf("lint", file);
    const rules = new Set(diagnostics.map((d) => d.rule));
    expect(rules).toContain("no-unused-params");
    expect(rules).toContain("outputs-should-not-contain-secrets");
    expect(rules).toContain("no-hardcoded-env-urls");
    expect(diagnostics.every((d) => d.level === "error")).toBe(true);
  });

  it("reports a warning-level diagnostic too (a build that only warns still fails the check)", async () => {
    const file = join(scratch, "warn.bicep");
    // BCP081: a type@version the compiler has no type data for is a warning, not an error.
    writeFileSync(
      file,
      "resource thing 'Microsoft.Storage/storageAccounts@2099-01-01' existing = {\n  name: 'x'\n}\noutput thingId string = thing.id\n",
    );
    const diagnostics = await diagnosticsOf("build", file, scratch);
    expect(diagnostics.some((d) => d.level === "warning")).toBe(true);
  });
});

describe("compiled template (infra/main.bicep)", () => {
  let template: string;
  beforeAll(() => {
    template = readFileSync(shared.templates["infra/main.bicep"]!, "utf8");
  });

  it("runs the app on Flex Consumption with Node 22 and identity-based deployment storage", () => {
    const parsed = JSON.parse(template) as unknown;
    const text = JSON.stringify(parsed);
    expect(text).toContain('"sku":{"name":"FC1","tier":"FlexConsumption"}');
    expect(text).toContain('"runtime":{"name":"node","version":"22"}');
    expect(text).toContain('"type":"UserAssignedIdentity"');
    expect(text).toContain('"DisableLocalAuth":true');
    expect(text).toContain('"enableRbacAuthorization":true');
    expect(text).toContain('"allowSharedKeyAccess":false');
  });

  it("sets none of the app settings Flex Consumption rejects", () => {
    for (const rejected of [
      "FUNCTIONS_WORKER_RUNTIME",
      "FUNCTIONS_EXTENSION_VERSION",
      "FUNCTIONS_WORKER_RUNTIME_VERSION",
      "WEBSITE_NODE_DEFAULT_VERSION",
      "WEBSITE_RUN_FROM_PACKAGE",
      "WEBSITE_CONTENTSHARE",
      "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
      "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
      "linuxFxVersion",
    ]) {
      expect(template, rejected).not.toContain(rejected);
    }
  });

  it("sets every app setting the triage code reads", () => {
    for (const name of [
      "TRIAGE_WORKSPACE_IDS",
      "TRIAGE_ARCHIVE_ACCOUNT_URL",
      "TRIAGE_CLASSIC_ACCOUNT_URLS",
      "TRIAGE_SCHEDULE",
      "TRIAGE_TEAMS_WEBHOOK_URL",
      "TRIAGE_STATE_TABLE_ENDPOINT",
      "TRIAGE_DASHBOARD_URL",
      "TRIAGE_MONITOR_ENDPOINT",
      "TRIAGE_MONITOR_RULE_ID",
      "TRIAGE_MONITOR_STREAM",
      "TRIAGE_EXPECTED_ACCOUNTS",
      "AZURE_CLIENT_ID",
      "AzureWebJobsStorage__accountName",
      "AzureWebJobsStorage__credential",
      "AzureWebJobsStorage__clientId",
      "APPLICATIONINSIGHTS_CONNECTION_STRING",
      "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    ]) {
      expect(template, name).toMatch(new RegExp(`['"]${name}['"]`));
    }
    expect(template).toContain("@Microsoft.KeyVault(SecretUri=");
  });

  it("grants exactly the least-privilege roles the app needs", () => {
    // Role definition ids are the only literal GUIDs in the template.
    const roleIds = new Set(
      [...template.matchAll(/['"]([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})['"]/g)].map(
        (m) => m[1],
      ),
    );
    expect([...roleIds].sort()).toEqual(
      [
        "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor (state)
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", // Storage Blob Data Reader (archive; classic $logs, per account)
        "3913510d-42f4-4e42-8a64-420c390055eb", // Monitoring Metrics Publisher (App Insights)
        "4633458b-17de-408a-b874-0445c86b69e6", // Key Vault Secrets User
        "73c42c96-874c-492b-b04d-ab87d138a893", // Log Analytics Reader (log workspaces)
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner (host/deployment storage)
        "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", // Key Vault Secrets Officer (optional webhook editor)
      ].sort(),
    );
    expect(template).not.toMatch(
      /Contributor'|8e3af657-a8ff-443c-a75c-2fe8c4bcb635|b24988ac-6180-42a0-ab88-20f7382dd24c/,
    );
  });

  it("has no secure parameter and no output that carries a secret", () => {
    const parsed = JSON.parse(template) as {
      parameters: Record<string, { type: string }>;
      outputs: Record<string, { value: string }>;
    };
    expect(Object.values(parsed.parameters).map((p) => p.type)).not.toContain("securestring");
    for (const [name, output] of Object.entries(parsed.outputs)) {
      expect(`${name}=${output.value}`).not.toMatch(/listKeys|listSecrets|ConnectionString|secretValue/i);
    }
  });

  it("embeds the committed workbook JSON", () => {
    const workbook = readFileSync(join(INFRA_DIR, "workbook/storage-auth-triage.workbook.json"), "utf8");
    expect(template).toContain(JSON.stringify(workbook).slice(1, 200));
  });
});
