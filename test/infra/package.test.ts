import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  globSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_ASSET_PATHS } from "../../src/dashboard/assets.js";
import { REPO_ROOT } from "./bicep-cli.js";

/**
 * Builds the deployable zip with `npm run package`'s script (a rolldown bundle, no node_modules), unpacks
 * it with Info-ZIP's unzip (an independent reader), and loads every entry file the way the Functions Node
 * worker does: it globs package.json `main` and imports each match, and @azure/functions registers through
 * the worker-provided `@azure/functions-core` module. Here that module is a recorder put on NODE_PATH, so
 * the test sees the real registrations (outside the worker @azure/functions only warns and registers
 * nothing) and can call the registered handlers.
 */

const EXPECTED_FUNCTIONS = ["triageTimer", "incidentsList", "incidentGet", "dashboardPage"];

// Settings as the Bicep template sets them (placeholder values; registration must not connect anywhere).
const APP_SETTINGS = {
  TRIAGE_WORKSPACE_IDS: "00000000-0000-0000-0000-000000000001",
  TRIAGE_SCHEDULE: "0 */5 * * * *",
  TRIAGE_TEAMS_WEBHOOK_URL: "https://127.0.0.1:9/workflows/placeholder/triggers/manual/paths/invoke",
  TRIAGE_STATE_TABLE_ENDPOINT: "http://127.0.0.1:9/devstoreaccount1",
  TRIAGE_DASHBOARD_URL: "https://127.0.0.1:9/api/dashboard",
  AZURE_CLIENT_ID: "00000000-0000-0000-0000-000000000002",
};

const RECORDING_CORE_MODULE = `
// Stands in for the worker's @azure/functions-core: records what the app registers.
const registrations = (globalThis.__functionRegistrations ??= []);
const handlers = (globalThis.__functionHandlers ??= {});
module.exports = {
  registerFunction(metadata, callback) {
    registrations.push({ metadata, handlerType: typeof callback });
    handlers[metadata.name] = callback;
    return { dispose() {} };
  },
  setProgrammingModel() {},
  getProgrammingModel() { return undefined; },
  registerHook() { return { dispose() {} }; },
  log() {},
};
`;

const LOAD_LIKE_THE_WORKER = `
import { globSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const { main } = JSON.parse(readFileSync("package.json", "utf8"));
const entryFiles = globSync(main).sort();
for (const file of entryFiles) await import(pathToFileURL(file).href);
// The registered dashboard handler serves every page file from the package (no src/, no node_modules).
const served = {};
const context = { log() {}, warn() {}, error(...args) { served.errors = [...(served.errors ?? []), args.join(" ")]; } };
for (const path of JSON.parse(process.env.ASSET_PATHS)) {
  const base = "https://app.example/api/dashboard/";
  const request = { url: base + path, params: { path }, query: new URLSearchParams() };
  const response = await globalThis.__functionHandlers.dashboardPage(request, context);
  served[path] = response.status ?? 200;
}
process.stdout.write(JSON.stringify({ entryFiles, registrations: globalThis.__functionRegistrations ?? [], served }));
`;

interface Registration {
  metadata: {
    name: string;
    bindings: Record<
      string,
      { type: string; direction: string; authLevel?: string; schedule?: string; route?: string }
    >;
  };
  handlerType: string;
}

let scratch: string;
let appDir: string;
let zipEntries: string[];

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "package-test-"));
  const zip = join(scratch, "app.zip");
  execFileSync(process.execPath, [join(REPO_ROOT, "scripts/package.mjs"), "--out", zip], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
  appDir = join(scratch, "app");
  mkdirSync(appDir);
  const unzip = spawnSync("unzip", ["-q", zip, "-d", appDir], { encoding: "utf8" });
  if (unzip.error)
    throw new Error(
      `unzip is needed to check the package (scripts/setup.sh installs it): ${unzip.error.message}`,
    );
  expect(unzip.status, unzip.stderr).toBe(0);
  const listing = spawnSync("unzip", ["-Z1", zip], { encoding: "utf8" });
  expect(listing.status, listing.stderr).toBe(0);
  zipEntries = listing.stdout.split("\n").filter((line) => line !== "");
}, 300_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("deployable package (npm run package)", () => {
  it("is a bundle: host.json and package.json at the root, JavaScript only, no node_modules, at most 300 files", () => {
    expect(existsSync(join(appDir, "host.json"))).toBe(true);
    expect(zipEntries).toContain("host.json");
    expect(zipEntries).toContain("package.json");
    expect(zipEntries.length).toBeLessThanOrEqual(300);
    expect(zipEntries.filter((e) => e.startsWith("node_modules/"))).toEqual([]);
    expect(globSync("**/*.{ts,map}", { cwd: appDir })).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(appDir, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg.type).toBe("module");
    // Nothing to install: the worker must not need npm at all.
    expect(pkg.dependencies).toBeUndefined();
  });

  it("loads every file of the bundle with no node_modules anywhere (built-ins and the worker's module only)", () => {
    // Static imports: load every output file where no node_modules exists (the unpacked package in a
    // temporary folder); an import of a package that was not bundled fails to resolve.
    const loadAll = `
      import { globSync } from "node:fs";
      import { pathToFileURL } from "node:url";
      for (const file of globSync("dist/**/*.js", { exclude: ["dist/functions/assets/**"] }).sort())
        await import(pathToFileURL(file).href);
    `;
    const corePath = join(scratch, "core-module-load-all");
    mkdirSync(join(corePath, "@azure/functions-core"), { recursive: true });
    writeFileSync(join(corePath, "@azure/functions-core/index.js"), RECORDING_CORE_MODULE);
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", loadAll], {
      cwd: appDir,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_PATH: corePath, ...APP_SETTINGS },
      timeout: 120_000,
    });
    expect(child.status, child.stderr).toBe(0);
    // Calls made later (a CommonJS require inside a lazily loaded chunk) cannot be seen this way; the
    // package script refuses to build when rolldown leaves any import unresolved (scripts/package.mjs).
  });

  it("package.json main matches exactly the bundled function entry files", () => {
    const { main } = JSON.parse(readFileSync(join(appDir, "package.json"), "utf8")) as { main: string };
    const matched = globSync(main, { cwd: appDir }).sort();
    const sources = readdirSync(join(REPO_ROOT, "functions")).filter(
      (f) => f.endsWith(".ts") && !f.endsWith(".d.ts"),
    );
    const bundled = sources.map((f) => `dist/functions/${f.replace(/\.ts$/, ".js")}`).sort();
    expect(bundled.length, "functions/*.ts entry files").toBeGreaterThan(0);
    expect(matched).toEqual(bundled);
  });

  it("registers every function when loaded the way the Functions worker loads it, and serves the dashboard", () => {
    const corePath = join(scratch, "core-module");
    mkdirSync(join(corePath, "@azure/functions-core"), { recursive: true });
    writeFileSync(join(corePath, "@azure/functions-core/index.js"), RECORDING_CORE_MODULE);
    writeFileSync(
      join(corePath, "@azure/functions-core/package.json"),
      JSON.stringify({ name: "@azure/functions-core", main: "index.js" }),
    );

    const child = spawnSync(process.execPath, ["--input-type=module", "-e", LOAD_LIKE_THE_WORKER], {
      cwd: appDir,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_PATH: corePath,
        ASSET_PATHS: JSON.stringify(["", ...DASHBOARD_ASSET_PATHS, "no-such-file.js"]),
        ...APP_SETTINGS,
      },
      timeout: 120_000,
    });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stderr).not.toMatch(/test mode|Skipping call to register/);
    const { entryFiles, registrations, served } = JSON.parse(child.stdout) as {
      entryFiles: string[];
      registrations: Registration[];
      served: Record<string, number | string[]>;
    };
    expect(entryFiles.length).toBeGreaterThan(0);

    const byName = new Map(registrations.map((r) => [r.metadata.name, r]));
    expect([...byName.keys()].sort()).toEqual(expect.arrayContaining(EXPECTED_FUNCTIONS));
    for (const registration of registrations) {
      expect(registration.handlerType, registration.metadata.name).toBe("function");
    }

    const timerTrigger = Object.values(byName.get("triageTimer")?.metadata.bindings ?? {}).find(
      (b) => b.type === "timerTrigger",
    );
    expect(timerTrigger?.schedule).toBeTruthy();
    for (const name of ["incidentsList", "incidentGet", "dashboardPage"]) {
      const httpTrigger = Object.values(byName.get(name)?.metadata.bindings ?? {}).find(
        (b) => b.type === "httpTrigger",
      );
      expect(httpTrigger, name).toBeDefined();
      // The dashboard and its API are never anonymous (function key by default).
      expect(httpTrigger?.authLevel, name).not.toBe("anonymous");
    }

    expect(Object.keys(served)).toContain("vendor/uplot/uPlot.iife.min.js");
    for (const path of ["", ...DASHBOARD_ASSET_PATHS]) expect(served[path], `asset '${path}'`).toBe(200);
    // A path that is not a page file is refused, so the 200s above are not a catch-all.
    expect(served["no-such-file.js"]).toBe(404);
  });
});
