import { MAX_INFLATED_MB } from "../../inflate-limit.js";
import { CaptureError } from "./exchange.js";

/**
 * The files of a zip archive, read from its central directory (APPNOTE's layout): stored or deflated
 * entries, which is what the capture tools that save zips (Fiddler's .saz) write. Encrypted entries and
 * Zip64 archives (over 4 GB or 65,535 entries, never a capture) are refused, saying so. Pure: the CLI
 * inflates with node:zlib, the dashboard's page with the browser's DecompressionStream (inflate-web.ts),
 * so one reader serves both.
 */

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
/** The end record's fixed part, and the longest comment that may follow it. */
const END_BYTES = 22;
const MAX_COMMENT = 0xffff;

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

/** Raw deflate data inflated, or "too large" past MAX_INFLATED_MB; damaged data rejects. */
export type RawInflater = (data: Uint8Array) => Promise<Uint8Array | "too large">;

/** Whether bytes start as a zip archive's first local file header. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && view(bytes).getUint32(0, true) === LOCAL_HEADER;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const utf8 = new TextDecoder("utf-8");
const latin1 = new TextDecoder("latin1");

export async function zipEntries(
  bytes: Uint8Array,
  where: string,
  inflateRaw: RawInflater,
): Promise<ZipEntry[]> {
  const damaged = (what: string) => new CaptureError(`${where}: the zip archive is damaged (${what})`);
  const v = view(bytes);
  const u32 = (at: number) => v.getUint32(at, true);
  const u16 = (at: number) => v.getUint16(at, true);
  let end = -1;
  for (let i = bytes.length - END_BYTES; i >= Math.max(0, bytes.length - END_BYTES - MAX_COMMENT); i--)
    if (u32(i) === END_OF_DIRECTORY) {
      end = i;
      break;
    }
  if (end < 0) throw damaged("no end of central directory: was it cut short?");
  const count = u16(end + 10);
  const directoryAt = u32(end + 16);
  if (count === 0xffff || directoryAt === 0xffffffff)
    throw new CaptureError(`${where}: a Zip64 archive is not read; save fewer sessions in it`);
  const entries: ZipEntry[] = [];
  for (let i = 0, at = directoryAt; i < count; i++) {
    if (at + 46 > bytes.length || u32(at) !== CENTRAL_HEADER) throw damaged(`entry ${i + 1}`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const compressed = u32(at + 20);
    const nameLength = u16(at + 28);
    const skip = nameLength + u16(at + 30) + u16(at + 32);
    const localAt = u32(at + 42);
    // Bit 11: the name is UTF-8; otherwise it is CP437, whose ASCII part is all a capture's names use.
    if (at + 46 + nameLength > bytes.length) throw damaged(`entry ${i + 1}`);
    const name = (flags & 0x800 ? utf8 : latin1).decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + skip;
    if (name.endsWith("/")) continue;
    if (flags & 1)
      throw new CaptureError(`${where}: ${name} is encrypted; save the archive without a password`);
    if (localAt + 30 > bytes.length || u32(localAt) !== LOCAL_HEADER) throw damaged(name);
    const dataAt = localAt + 30 + u16(localAt + 26) + u16(localAt + 28);
    if (dataAt + compressed > bytes.length) throw damaged(`${name} runs past the end`);
    const stored = bytes.subarray(dataAt, dataAt + compressed);
    let data: Uint8Array | "too large";
    if (method === 0) data = stored;
    else if (method === 8) {
      try {
        data = await inflateRaw(stored);
      } catch (err) {
        throw damaged(`${name}: ${(err as Error).message}`);
      }
      if (data === "too large")
        throw new CaptureError(`${where}: ${name} inflates past ${MAX_INFLATED_MB} MB; it is not read`);
    } else
      throw new CaptureError(
        `${where}: ${name} is compressed with method ${method}; only stored and deflated entries are read`,
      );
    entries.push({ name, data });
  }
  return entries;
}
