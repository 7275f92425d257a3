#!/usr/bin/env node
// `npm run build:wasm`: compiles the success-row skim (src/collect/skim/assembly/skim.ts, AssemblyScript)
// to WebAssembly and writes it, base64-encoded, into src/collect/skim/skim-wasm.ts, which is committed:
// the build, the bundles and the tests then need no compiler. test/collect/skim-wasm.test.ts compiles
// it again and fails when the committed module is not what the source compiles to.
//   node scripts/build-skim-wasm.mjs [--check]   --check: compare only, exit 1 when stale
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileSkim, SKIM_MODULE_FILE, skimModuleSource } from "./skim-wasm-compile.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, SKIM_MODULE_FILE);
const source = skimModuleSource(await compileSkim(root), await compileSkim(root, { shared: true }));
const current = existsSync(target) ? readFileSync(target, "utf8") : "";
if (process.argv.includes("--check")) {
  if (current !== source) {
    process.stderr.write(`${SKIM_MODULE_FILE} is stale: run npm run build:wasm\n`);
    process.exit(1);
  }
} else if (current !== source) {
  writeFileSync(target, source);
  process.stderr.write(`build:wasm: wrote ${SKIM_MODULE_FILE}\n`);
}
