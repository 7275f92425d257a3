// Builds the deployable Functions package: the function entry points bundled with rolldown (the app and its
// production dependencies in a few ES modules; lazily loaded parts such as the Azure SDKs and telemetry
// stay separate chunks, so indexing the app loads only what registration needs), the dashboard's static
// files beside the code that serves them, host.json and a package.json naming the entry files. Zipped with
// host.json at the root (what Flex Consumption one-deploy expects).
//   npm run package [-- --out path/to/app.zip] [-- --stage DIR]
//   default: dist-package/storage-auth-triage.zip; --stage also leaves the unpacked package in DIR (azd
//   deploys that folder: azure.yaml `dist`).
// The zip is written by Node itself (no `zip` binary needed, so it works on Windows and bare CI images).
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateRawSync } from "node:zlib";
import { build } from "rolldown";
import { placeDashboardAssets } from "./place-dashboard-assets.mjs";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** A bound on the package (the unbundled one held 18,909 files): the bundle must stay this small. */
export const MAX_PACKAGE_FILES = 300;

/** Provided by the Functions Node worker at run time; never bundled. */
const WORKER_PROVIDED = new Set(["@azure/functions-core"]);

function parseArgs(argv) {
  let out = join(repoRoot, "dist-package", "storage-auth-triage.zip");
  let stageDir;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out" && argv[i + 1]) out = resolve(argv[++i]);
    else if (argv[i] === "--stage" && argv[i + 1]) stageDir = resolve(argv[++i]);
    else
      throw new Error(
        `package.mjs: unknown argument '${argv[i]}' (usage: package.mjs [--out file.zip] [--stage dir])`,
      );
  }
  return { out, stageDir };
}

function listFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** Bundles functions/*.ts into <stage>/dist/functions (entries) and dist/functions/chunks (shared, lazy). */
async function bundleFunctions(stage) {
  const functionsDir = join(repoRoot, "functions");
  const entries = readdirSync(functionsDir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort();
  const outDir = join(stage, "dist", "functions");
  const { output } = await build({
    input: Object.fromEntries(entries.map((f) => [f.replace(/\.ts$/, ""), join(functionsDir, f)])),
    platform: "node",
    tsconfig: join(repoRoot, "tsconfig.json"),
    logLevel: "warn",
    // Built-ins and the worker's module are the only imports left to run time; anything else rolldown
    // cannot resolve would fail in Azure on first use, so it fails the build here.
    external: (id) => id.startsWith("node:") || isBuiltin(id) || WORKER_PROVIDED.has(id),
    onLog(level, log, handler) {
      if (log.code === "UNRESOLVED_IMPORT") throw new Error(`package.mjs: ${log.message}`);
      handler(level, log);
    },
    output: {
      dir: outDir,
      format: "esm",
      entryFileNames: "[name].js",
      chunkFileNames: "chunks/[name]-[hash].js",
      sourcemap: false,
      minify: true,
      comments: { legal: true },
    },
  });
  return { entries: entries.map((f) => f.replace(/\.ts$/, ".js")), output, outDir };
}

/** The dashboard's files, built afresh, beside the chunk that serves them (scripts/place-dashboard-assets.mjs). */
function addDashboardAssets(output, outDir) {
  const built = mkdtempSync(join(tmpdir(), "auth-triage-assets-"));
  try {
    runNode([join(repoRoot, "scripts/copy-dashboard-assets.mjs"), "--dist", built]);
    placeDashboardAssets(output, outDir, join(built, "src", "dashboard", "assets"));
  } finally {
    rmSync(built, { recursive: true, force: true });
  }
}

function runNode(args) {
  const result = spawnSync(process.execPath, args, {
    cwd: repoRoot,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0)
    throw new Error(`package.mjs: 'node ${args.join(" ")}' failed (exit ${result.status ?? result.signal})`);
}

/** package.json of the package: what the worker reads (type, main), nothing to install. */
function packageJsonFor() {
  const source = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  return {
    name: source.name,
    version: source.version,
    description: source.description,
    license: source.license,
    private: true,
    type: "module",
    engines: source.engines,
    // Matches exactly the entry files: chunks live one folder down and are loaded by them on demand.
    main: "dist/functions/*.js",
  };
}

// Minimal ZIP writer (PKWARE APPNOTE 4.3): deflate, UTF-8 names, UNIX permissions, fixed timestamps so the
// same inputs give the same bytes.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01

function writeZip(rootDir, files, outFile) {
  if (files.length > 0xffff)
    throw new Error(`package.mjs: ${files.length} files exceed the 65535 entries a plain zip holds`);
  const chunks = [];
  const central = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(relative(rootDir, file).split(sep).join("/"), "utf8");
    const data = readFileSync(file);
    const compressed = deflateRawSync(data, { level: 9 });
    const checksum = crc32(data);
    const mode = statSync(file).mode & 0o777;
    if (offset > 0xffffffff || data.length > 0xffffffff)
      throw new Error("package.mjs: package exceeds 4 GiB");

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: deflate
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(checksum, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    chunks.push(local, name, compressed);

    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE((3 << 8) | 20, 4); // made by UNIX, so external attributes carry permissions
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt16LE(DOS_TIME, 12);
    entry.writeUInt16LE(DOS_DATE, 14);
    entry.writeUInt32LE(checksum, 16);
    entry.writeUInt32LE(compressed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt16LE(0, 30); // extra
    entry.writeUInt16LE(0, 32); // comment
    entry.writeUInt16LE(0, 34); // disk
    entry.writeUInt16LE(0, 36); // internal attributes
    entry.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);

    offset += local.length + name.length + compressed.length;
  }
  const centralSize = central.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, Buffer.concat([...chunks, ...central, end]));
}

async function main() {
  const { out, stageDir } = parseArgs(process.argv.slice(2));
  const stage = stageDir ?? mkdtempSync(join(tmpdir(), "auth-triage-package-"));
  if (stageDir) {
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(stage, { recursive: true });
  }
  try {
    const { output, outDir } = await bundleFunctions(stage);
    addDashboardAssets(output, outDir);
    writeFileSync(join(stage, "host.json"), readFileSync(join(repoRoot, "host.json")));
    writeFileSync(join(stage, "package.json"), `${JSON.stringify(packageJsonFor(), null, 2)}\n`);
    const files = listFiles(stage).sort();
    if (files.length > MAX_PACKAGE_FILES)
      throw new Error(`package.mjs: ${files.length} files, more than the ${MAX_PACKAGE_FILES} allowed`);
    writeZip(stage, files, out);
    chmodSync(out, 0o644);
    const size = statSync(out).size;
    const unpacked = files.reduce((sum, f) => sum + statSync(f).size, 0);
    console.error(
      `package: ${relative(process.cwd(), out) || out} (${files.length} files, ${(size / 1048576).toFixed(1)} MiB zipped, ${(unpacked / 1048576).toFixed(1)} MiB unpacked)`,
    );
  } finally {
    if (!stageDir) rmSync(stage, { recursive: true, force: true });
  }
}

await main();
