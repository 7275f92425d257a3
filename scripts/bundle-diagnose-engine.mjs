#!/usr/bin/env node
// Bundles the request doctor and the signature diff (src/dashboard/diagnose-engine.ts and what it
// imports, zod included) into one browser ES module, dist/src/dashboard/assets/diagnose-engine.js, for
// the dashboard's "Diagnose a request" page. Uses rolldown, which the dev tooling already installs
// (vitest → vite → rolldown): no extra bundler. scripts/copy-dashboard-assets.mjs calls it, so
// `npm run build` and scripts/package.mjs both produce it. Fails if anything Node-only (a `node:` import, Buffer, process) reaches the bundle.
//   node scripts/bundle-diagnose-engine.mjs [--dist DIR]
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Writes <dist>/src/dashboard/assets/diagnose-engine.js and returns its path. */
export async function bundleDiagnoseEngine(dist = join(root, "dist"), { quiet = false } = {}) {
  const outFile = join(dist, "src", "dashboard", "assets", "diagnose-engine.js");
  const { output } = await build({
    input: join(root, "src", "dashboard", "diagnose-engine.ts"),
    platform: "browser",
    tsconfig: join(root, "tsconfig.json"),
    logLevel: "warn",
    write: false,
    // Anything Node-only must fail the build here, not at run time in someone's browser.
    external: (id) => {
      if (id.startsWith("node:")) throw new Error(`diagnose engine: ${id} must not reach the browser bundle`);
      return false;
    },
    output: { format: "esm", minify: true, sourcemap: false, comments: { legal: true } },
  });
  const chunks = output.filter((item) => item.type === "chunk");
  if (chunks.length !== 1) throw new Error(`diagnose engine: expected one bundle, got ${chunks.length}`);
  const code = chunks[0].code;
  for (const nodeOnly of [/\bBuffer\s*\./, /\bprocess\.env\b/, /\brequire\(/]) {
    if (nodeOnly.test(code))
      throw new Error(`diagnose engine: the bundle references ${nodeOnly.source}; keep the engine pure`);
  }
  // Write then rename: a server reading the file meanwhile sees the old bundle or the new, never half.
  mkdirSync(dirname(outFile), { recursive: true });
  const partial = `${outFile}.${process.pid}.tmp`;
  writeFileSync(partial, code);
  renameSync(partial, outFile);
  if (!quiet) process.stderr.write(`diagnose engine: ${outFile} (${(code.length / 1024).toFixed(0)} KiB)\n`);
  return outFile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const distFlag = process.argv.indexOf("--dist");
  await bundleDiagnoseEngine(
    distFlag >= 0 && process.argv[distFlag + 1] ? resolve(process.argv[distFlag + 1]) : undefined,
  );
}
