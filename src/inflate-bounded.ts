import { inflateRawSync } from "node:zlib";

/**
 * What one deflated piece of an input (an Event Hubs Capture block, a zip entry) may inflate to: far past
 * any real one, so that a crafted piece is refused rather than read into memory.
 */
export const MAX_INFLATED_MB = 256;

/** Raw deflate data inflated, or "too large" past MAX_INFLATED_MB; damaged data throws zlib's error. */
export function inflateRawBounded(data: Buffer): Buffer | "too large" {
  try {
    return inflateRawSync(data, { maxOutputLength: MAX_INFLATED_MB * 1024 * 1024 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return "too large";
    throw err;
  }
}
