import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A full garbage collection on demand, or undefined where the runtime does not allow one.
 *
 * `analyze` calls it once, between reading the rows and building incidents: what the scan allocated
 * (decoded lines, records, the young strings the collector promoted) is dead by then but was not yet
 * collected, and explaining allocates on top of it. Collecting there took the peak of a one-pass
 * analyze of 1 GB from about 210 MB to 175 MB (BENCHMARKS.md), for some 40 ms. V8 exposes `gc`
 * only behind a flag: set it here, at run time, and take the function from a fresh context.
 */
export function fullGarbageCollection(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? () => void (gc as () => unknown)() : undefined;
  } catch {
    return undefined;
  }
}
