import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const ROOT = resolve(import.meta.dirname, "../..");

/** The installed `auth-triage`: package.json's bin, the bundle `npm run build` writes. */
export const BUILT_CLI = join(
  ROOT,
  (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> }).bin[
    "auth-triage"
  ]!,
);

/** `npm test` builds first; this builds only when a test file runs on its own from a clean checkout. */
export async function ensureBuiltCli(): Promise<string> {
  if (!existsSync(BUILT_CLI))
    await promisify(execFile)(process.execPath, [join(ROOT, "scripts", "build.mjs"), "--quiet"], {
      cwd: ROOT,
    });
  return BUILT_CLI;
}
