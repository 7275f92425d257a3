import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { inject } from "vitest";
import {
  INFRA_DIR,
  REPO_ROOT,
  bicepFilesUnder,
  diagnosticsFrom,
  runBicep,
  type Diagnostic,
} from "./bicep-cli.js";

/**
 * Every Bicep result the infra tests need, computed once per test run and shared by the test files
 * (they run in separate processes): lint and build of every file, and, for each deployment variant, the
 * parameters file built and the deployment evaluated with `bicep snapshot`. The first file to ask does the
 * work under a lock folder in the run's scratch folder (test/support/run-scratch.ts); the others wait for
 * its result. Nothing is cached across runs.
 */

/** A deployment variant: main.bicepparam evaluated with these environment variables (as azd sets them). */
export interface Variant {
  name: "default" | "private" | "private-dashboard" | "private-monitor" | "azure-monitor";
  env: Record<string, string>;
}

export const DEPLOYER_PRINCIPAL_ID = "11111111-2222-3333-4444-555555555555";
export const LISTED_ACCOUNT_IDS = [
  "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stinvoicesprod01",
  "/subscriptions/00000000-0000-0000-0000-00000000000b/resourceGroups/rg-cdn/providers/Microsoft.Storage/storageAccounts/stcdnorigin13",
];
/** A central Azure Monitor Private Link Scope, in another subscription's hub resource group. */
export const MONITOR_PRIVATE_LINK_SCOPE_ID =
  "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-hub/providers/Microsoft.Insights/privateLinkScopes/ampls-hub";
export const ALERT_EMAILS = ["oncall@contoso.example", "storage-team@contoso.example"];
export const SNAPSHOT_SCOPE = {
  subscriptionId: "00000000-0000-0000-0000-000000000001",
  tenantId: "00000000-0000-0000-0000-000000000002",
  resourceGroup: "rg-authtriage",
  location: "swedencentral",
};

// What `azd up` passes (the deployer's object id) plus the accounts to triage, in every variant.
const AZD_ENV = {
  AZURE_PRINCIPAL_ID: DEPLOYER_PRINCIPAL_ID,
  AUTHTRIAGE_STORAGE_ACCOUNT_IDS: LISTED_ACCOUNT_IDS.join(","),
};

export const VARIANTS: readonly Variant[] = [
  { name: "default", env: AZD_ENV },
  { name: "private", env: { ...AZD_ENV, AUTHTRIAGE_PRIVATE_NETWORKING: "true" } },
  {
    name: "private-dashboard",
    env: { ...AZD_ENV, AUTHTRIAGE_PRIVATE_NETWORKING: "true", AUTHTRIAGE_PRIVATE_DASHBOARD: "true" },
  },
  {
    name: "private-monitor",
    env: {
      ...AZD_ENV,
      AUTHTRIAGE_PRIVATE_NETWORKING: "true",
      AUTHTRIAGE_AZURE_MONITOR: "true",
      AUTHTRIAGE_MONITOR_PRIVATE_LINK_SCOPE_ID: MONITOR_PRIVATE_LINK_SCOPE_ID,
    },
  },
  {
    name: "azure-monitor",
    env: { ...AZD_ENV, AUTHTRIAGE_AZURE_MONITOR: "true", AUTHTRIAGE_ALERT_EMAILS: ALERT_EMAILS.join(", ") },
  },
];

export interface InfraBuild {
  /** Repository-relative path of every .bicep / .bicepparam file under infra/. */
  files: string[];
  lint: Diagnostic[];
  build: Diagnostic[];
  /** Compiled ARM JSON by repository-relative .bicep path. */
  templates: Record<string, string>;
  variants: Record<
    Variant["name"],
    { buildParams: Diagnostic[]; parameters: string; snapshot: Diagnostic[]; snapshotFile: string }
  >;
}

/** Environment for one variant: the caller's, minus anything that would change the parameters. */
function variantEnv(variant: Variant): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(AUTHTRIAGE_|AZURE_PRINCIPAL_)/.test(k)) env[k] = v;
  }
  return { ...env, ...variant.env };
}

async function compute(workDir: string): Promise<InfraBuild> {
  const files = bicepFilesUnder(INFRA_DIR).map((f) => relative(REPO_ROOT, f));

  // One process per step for all files (the CLI's start-up is most of the cost).
  const lintBicep = await runBicep([
    "lint",
    "--pattern",
    "infra/**/*.bicep",
    "--diagnostics-format",
    "sarif",
  ]);
  const lintParams = await runBicep([
    "lint",
    "--pattern",
    "infra/**/*.bicepparam",
    "--diagnostics-format",
    "sarif",
  ]);
  const buildDir = join(workDir, "build");
  const build = await runBicep([
    "build",
    "--pattern",
    "infra/**/*.bicep",
    "--outdir",
    buildDir,
    "--diagnostics-format",
    "sarif",
  ]);
  const templates: Record<string, string> = {};
  for (const file of files.filter((f) => f.endsWith(".bicep"))) {
    const json = join(buildDir, relative("infra", file).replace(/\.bicep$/, ".json"));
    if (existsSync(json)) templates[file] = json;
  }

  // `bicep snapshot` writes <name>.snapshot.json beside the parameters file: evaluate a copy of infra/.
  const copy = join(workDir, "infra");
  cpSync(INFRA_DIR, copy, { recursive: true });
  const variants = {} as InfraBuild["variants"];
  for (const variant of VARIANTS) {
    const env = variantEnv(variant);
    const params = await runBicep(
      ["build-params", join(INFRA_DIR, "main.bicepparam"), "--stdout", "--diagnostics-format", "sarif"],
      env,
    );
    const parameters = join(workDir, `${variant.name}.parameters.json`);
    writeFileSync(
      parameters,
      params.exitCode === 0 ? (JSON.parse(params.stdout) as { parametersJson: string }).parametersJson : "{}",
    );
    const snap = await runBicep(
      [
        "snapshot",
        join(copy, "main.bicepparam"),
        "--mode",
        "overwrite",
        "--subscription-id",
        SNAPSHOT_SCOPE.subscriptionId,
        "--tenant-id",
        SNAPSHOT_SCOPE.tenantId,
        "--resource-group",
        SNAPSHOT_SCOPE.resourceGroup,
        "--location",
        SNAPSHOT_SCOPE.location,
        "--deployment-name",
        `authtriage-${variant.name}`,
      ],
      env,
    );
    const snapshotFile = join(workDir, `${variant.name}.snapshot.json`);
    const written = join(copy, "main.snapshot.json");
    if (existsSync(written)) renameSync(written, snapshotFile);
    variants[variant.name] = {
      buildParams: diagnosticsFrom(params, params.stderr, "infra/main.bicepparam", REPO_ROOT),
      parameters,
      snapshot: [
        ...diagnosticsFrom(snap, snap.stderr, "infra/main.bicepparam", copy),
        ...(existsSync(snapshotFile)
          ? []
          : [
              {
                file: "infra/main.bicepparam",
                line: 0,
                rule: "snapshot",
                level: "error",
                message: "no snapshot written",
              },
            ]),
      ],
      snapshotFile,
    };
  }
  return {
    files,
    lint: [
      ...diagnosticsFrom(lintBicep, lintBicep.stdout, "infra/**/*.bicep", REPO_ROOT),
      ...diagnosticsFrom(lintParams, lintParams.stdout, "infra/**/*.bicepparam", REPO_ROOT),
    ],
    build: diagnosticsFrom(build, build.stderr, "infra/**/*.bicep", REPO_ROOT),
    templates,
    variants,
  };
}

const POLL_MS = 250;
const WAIT_LIMIT_MS = 15 * 60_000;
let memo: Promise<InfraBuild> | undefined;

/** The shared build of this test run (computed by the first caller, read by the others). */
export function sharedInfraBuild(): Promise<InfraBuild> {
  memo ??= (async () => {
    const root = join(inject("runScratchDir"), "infra-build");
    const result = join(root, "result.json");
    let owner = false;
    try {
      mkdirSync(root);
      owner = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (owner) {
      let build: InfraBuild | { error: string };
      try {
        build = await compute(root);
      } catch (err) {
        build = { error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
      }
      writeFileSync(`${result}.tmp`, JSON.stringify(build));
      renameSync(`${result}.tmp`, result);
    }
    const started = Date.now();
    while (!existsSync(result)) {
      if (Date.now() - started > WAIT_LIMIT_MS)
        throw new Error(`infra build: no result in ${root} after ${WAIT_LIMIT_MS / 60_000} min`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const parsed = JSON.parse(readFileSync(result, "utf8")) as InfraBuild | { error: string };
    if ("error" in parsed) throw new Error(`infra build failed: ${parsed.error}`);
    return parsed;
  })();
  return memo;
}
