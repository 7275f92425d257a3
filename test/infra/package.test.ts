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
import { REPO_ROOT } from "./bicep-cli.js";

/**
 * Builds the deployable zip with `npm run package`'s script, unpacks it with Info-ZIP's unzip (an
 * independent reader), and loads every entry file the way the Functions Node worker does: it globs
 * package.json `main` and imports each match, and @azure/functions registers through the worker-provided
 * `@azure/functions-core` module. Here that module is a recorder put on NODE_PATH, so the test sees the
 * real registrations (outside the worker @azure/functions only warns and registers nothing).
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
module.exports = {
  registerFunction(metadata, callback) {
    registrations.push({ metadata, handlerType: typeof callback });
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
process.stdout.write(JSON.stringify({ entryFiles, registrations: globalThis.__functionRegistrations ?? [] }));
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
}, 900_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("deployable package (npm run package)", () => {
  it("has host.json and package.json at the root, compiled JavaScript and no TypeScript sources", () => {
    expect(existsSync(join(appDir, "host.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(appDir, "package.json"), "utf8"))).toEqual(
      JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")),
    );
    expect(existsSync(join(appDir, "dist/src"))).toBe(true);
    expect(globSync("{src,functions,test}/**/*.ts", { cwd: appDir })).toEqual([]);
  });

  it("holds every production dependency and no development-only package (as the lock file marks them)", () => {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
    };
    const installed = Object.entries(lock.packages).filter(([path]) => path.startsWith("node_modules/"));
    let production = 0;
    for (const [path, entry] of installed) {
      if (entry.dev) {
        expect(existsSync(join(appDir, path)), `dev-only ${path}`).toBe(false);
      } else if (!entry.optional && !entry.devOptional) {
        production++;
        expect(existsSync(join(appDir, path, "package.json")), `production ${path}`).toBe(true);
      }
    }
    expect(production).toBeGreaterThan(50);
  });

  it("serves every dashboard file from the package itself (uplot is a dev dependency, copied at build)", () => {
    expect(existsSync(join(appDir, "node_modules/uplot"))).toBe(false);
    const serveAll = `
      const { DASHBOARD_ASSET_PATHS, serveDashboardAsset } = await import("./dist/src/dashboard/assets.js");
      const statuses = {};
      for (const path of ["", ...DASHBOARD_ASSET_PATHS]) statuses[path] = (await serveDashboardAsset(path)).status;
      process.stdout.write(JSON.stringify(statuses));
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", serveAll], {
      cwd: appDir,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      timeout: 60_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const statuses = JSON.parse(child.stdout) as Record<string, number>;
    expect(Object.keys(statuses)).toContain("vendor/uplot/uPlot.iife.min.js");
    for (const [path, status] of Object.entries(statuses)) expect(status, path).toBe(200);
  });

  it("package.json main matches exactly the compiled function entry files", () => {
    const { main } = JSON.parse(readFileSync(join(appDir, "package.json"), "utf8")) as { main: string };
    const matched = globSync(main, { cwd: appDir }).sort();
    const sources = existsSync(join(REPO_ROOT, "functions"))
      ? readdirSync(join(REPO_ROOT, "functions")).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
      : [];
    const compiled = sources.map((f) => `dist/functions/${f.replace(/\.ts$/, ".js")}`).sort();
    expect(compiled.length, "functions/*.ts entry files").toBeGreaterThan(0);
    expect(matched).toEqual(compiled);
  });

  it("registers every function when loaded the way the Functions worker loads it", () => {
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
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_PATH: corePath, ...APP_SETTINGS },
      timeout: 120_000,
    });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stderr).not.toMatch(/test mode|Skipping call to register/);
    const { entryFiles, registrations } = JSON.parse(child.stdout) as {
      entryFiles: string[];
      registrations: Registration[];
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
  });
});
