/**
 * The Node flags `auth-triage` runs with: the first line of src/cli/main.ts passes them (the installed
 * bin), so do `npm run cli` and the bench's measurements of the CLI (a test holds the three together).
 *
 * - `--max-semi-space-size=4`: V8 sizes the main thread's young generation for throughput (16 MB
 *   semi-spaces, 32 MB or more committed); a scan's live set at any collection is one read chunk's
 *   records, so 4 MB costs no time we can measure and takes some 20 MB off the peak of an analyze of 1 GB
 *   (BENCHMARKS.md). Scan threads get the same through `resourceLimits`.
 * - `--no-allocation-site-pretenuring`: with a young generation that small, V8 sees a chunk's records
 *   survive one collection (they wait in their batch) and allocates every later record of the site in
 *   the old generation, where they die: one run of 1 GB grew to 351 MB without it.
 * - `--no-parallel-scavenge`: a young generation that small is collected every few megabytes, and V8
 *   sends each collection's work to helper threads, which on a machine whose cores all scan take their
 *   time from the scans and wait on each other: collected on its own thread, a two-thread analyze of the
 *   bench's 1 GB took 1.41-1.47 s against 1.51-1.54 s (Log Analytics 1.38-1.42 s against 1.46-1.71 s),
 *   one pass 1.62-1.69 s against 1.68-1.73 s, in the same memory (BENCHMARKS.md, twenty-eighth round).
 *   While the skim-ahead thread waits for the main thread with its ring full, a core is idle, and the
 *   main thread's young collections get V8's helpers back (YoungCollectionHelpers, collect-garbage.ts).
 */
export const CLI_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=4",
  "--no-allocation-site-pretenuring",
  "--no-parallel-scavenge",
];
