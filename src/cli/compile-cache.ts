import module from "node:module";

/**
 * Keeps V8's compiled code of the CLI's modules on disk between runs (Node's compile cache, under the
 * system's temporary directory; `NODE_DISABLE_COMPILE_CACHE=1` turns it off, `NODE_COMPILE_CACHE=<dir>`
 * moves it). A run then reads the code instead of compiling it: some 60 million fewer instructions
 * per process, 10 ms of a run's start (BENCHMARKS.md, thirty-fourth round). A cache that does not match
 * the module or is damaged is ignored by Node and rewritten. Scan threads (src/engine/scan-threads.ts)
 * look for NODE_COMPILE_CACHE as they start, so the directory is passed on to them in `env`.
 */
export function useCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const { status, directory } = module.enableCompileCache();
  const { ENABLED, ALREADY_ENABLED } = module.constants.compileCacheStatus;
  if ((status === ENABLED || status === ALREADY_ENABLED) && directory && !env.NODE_COMPILE_CACHE)
    env.NODE_COMPILE_CACHE = directory;
}
