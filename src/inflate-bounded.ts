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

/**
 * inflateRawBounded as the doctor's zip reader takes an inflater (src/doctor/capture/zip-entries.ts
 * RawInflater): over any bytes, its answer promised. The CLI's; the page has inflate-web.ts.
 */
export async function inflateRawNode(data: Uint8Array): Promise<Uint8Array | "too large"> {
  return inflateRawBounded(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}
