import { inflateRawSync } from "node:zlib";
import { MAX_INFLATED_BYTES } from "./inflate-limit.js";

export { MAX_INFLATED_MB } from "./inflate-limit.js";

/** Raw deflate data inflated, or "too large" past MAX_INFLATED_MB; damaged data throws zlib's error. */
export function inflateRawBounded(data: Buffer): Buffer | "too large" {
  try {
    return inflateRawSync(data, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return "too large";
    throw err;
  }
}
