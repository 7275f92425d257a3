import module from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Keeps V8's compiled code of the CLI's modules on disk between runs (Node's compile cache): a run then
 * reads the code instead of compiling it, some 60 million fewer instructions per process, 10 ms of a
 * run's start (BENCHMARKS.md, thirty-fourth round). The cache is the user's own
 * (`$XDG_CACHE_HOME/auth-triage/node-compile-cache`, else under `~/.cache`), not Node's default in the
 * shared temporary directory, where another user could plant code for it. `NODE_COMPILE_CACHE=<dir>`
 * chooses another directory, `NODE_DISABLE_COMPILE_CACHE=1` turns it off; an entry that does not match
 * the module or V8's flags is ignored by Node and rewritten, and a directory that cannot be made leaves
 * the run uncached. Scan threads (src/engine/scan-threads.ts) look for NODE_COMPILE_CACHE as they start,
 * so the directory is passed on to them in `env`.
 */
export function useCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const { status, directory } = module.enableCompileCache(env.NODE_COMPILE_CACHE || compileCacheDir(env));
  const { ENABLED, ALREADY_ENABLED } = module.constants.compileCacheStatus;
  if ((status === ENABLED || status === ALREADY_ENABLED) && directory && !env.NODE_COMPILE_CACHE)
    env.NODE_COMPILE_CACHE = directory;
}

/** The user's cache directory for the CLI's compiled code. */
function compileCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "auth-triage", "node-compile-cache");
}
