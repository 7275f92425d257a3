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
 */
export const CLI_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=4",
  "--no-allocation-site-pretenuring",
];
