import { MAX_INFLATED_BYTES } from "../../inflate-limit.js";

/**
 * Raw deflate data inflated with the web platform's DecompressionStream (the dashboard's page, which has
 * no node:zlib; Node has it too, so the tests run it), or "too large" once the output passes
 * MAX_INFLATED_BYTES: the stream is cancelled there, so a crafted entry never fills the tab's memory.
 * Damaged data rejects with the stream's error.
 */
export async function inflateRawWeb(data: Uint8Array): Promise<Uint8Array | "too large"> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream("deflate-raw"));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_INFLATED_BYTES) {
      await reader.cancel();
      return "too large";
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
