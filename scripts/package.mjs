// Builds the deployable Functions package: compiled JavaScript, production dependencies only, host.json and
// package.json, zipped with host.json at the root (what Flex Consumption one-deploy expects).
//   npm run package [-- --out path/to/app.zip]      default: dist-package/storage-auth-triage.zip
// The zip is written by Node itself (no `zip` binary needed, so it works on Windows and bare CI images).
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateRawSync } from "node:zlib";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function parseArgs(argv) {
  let out = join(repoRoot, "dist-package", "storage-auth-triage.zip");
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out" && argv[i + 1]) out = resolve(argv[++i]);
    else throw new Error(`package.mjs: unknown argument '${argv[i]}' (usage: package.mjs [--out file.zip])`);
  }
  return { out };
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, {
    cwd,
    stdio: ["ignore", "inherit", "inherit"],
    shell: process.platform === "win32",
  });
  if (result.status !== 0)
    throw new Error(
      `package.mjs: '${command} ${args.join(" ")}' failed (exit ${result.status ?? result.signal})`,
    );
}

// Files Node never loads at run time: type declarations, source maps, docs. They are most of node_modules.
const NOT_NEEDED_AT_RUNTIME = /(\.d\.[cm]?ts|\.map|\.md|\.markdown)$/i;

function listFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

function pruneDevOnlyFiles(nodeModules) {
  let removed = 0;
  for (const file of listFiles(nodeModules)) {
    if (NOT_NEEDED_AT_RUNTIME.test(file)) {
      rmSync(file);
      removed++;
    }
  }
  return removed;
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

function main() {
  const { out } = parseArgs(process.argv.slice(2));
  const stage = mkdtempSync(join(tmpdir(), "auth-triage-package-"));
  try {
    // Compile straight into the stage so stale files in dist/ can never slip into the package.
    run(
      process.execPath,
      [
        join(repoRoot, "node_modules/typescript/bin/tsc"),
        "-p",
        join(repoRoot, "tsconfig.json"),
        "--outDir",
        join(stage, "dist"),
        "--sourceMap",
        "false",
      ],
      repoRoot,
    );
    // The dashboard page and uPlot's browser build are not TypeScript: copy them beside the compiled module.
    run(
      process.execPath,
      [join(repoRoot, "scripts/copy-dashboard-assets.mjs"), "--dist", join(stage, "dist")],
      repoRoot,
    );
    for (const file of ["host.json", "package.json", "package-lock.json"])
      copyFileSync(join(repoRoot, file), join(stage, file));
    // Production dependencies exactly as locked; install scripts are not needed by any of them.
    run(
      "npm",
      ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
      stage,
    );
    const pruned = pruneDevOnlyFiles(join(stage, "node_modules"));
    rmSync(join(stage, "node_modules", ".package-lock.json"), { force: true });
    const files = listFiles(stage).sort();
    writeZip(stage, files, out);
    chmodSync(out, 0o644);
    const size = statSync(out).size;
    console.error(
      `package: ${relative(process.cwd(), out) || out} (${files.length} files, ${(size / 1048576).toFixed(1)} MiB; ${pruned} declaration/map/doc files left out)`,
    );
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

main();
