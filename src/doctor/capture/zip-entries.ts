import { inflateRawBounded, MAX_INFLATED_MB } from "../../inflate-bounded.js";
import { CaptureError } from "./exchange.js";

/**
 * The files of a zip archive, read from its central directory (APPNOTE's layout): stored or deflated
 * entries, which is what the capture tools that save zips (Fiddler's .saz) write. Encrypted entries and
 * Zip64 archives (over 4 GB or 65,535 entries, never a capture) are refused, saying so.
 */

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
/** The end record's fixed part, and the longest comment that may follow it. */
const END_BYTES = 22;
const MAX_COMMENT = 0xffff;

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** Whether bytes start as a zip archive's first local file header. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && Buffer.from(bytes.buffer, bytes.byteOffset, 4).readUInt32LE(0) === LOCAL_HEADER;
}

export function zipEntries(bytes: Buffer, where: string): ZipEntry[] {
  const damaged = (what: string) => new CaptureError(`${where}: the zip archive is damaged (${what})`);
  let end = -1;
  for (let i = bytes.length - END_BYTES; i >= Math.max(0, bytes.length - END_BYTES - MAX_COMMENT); i--)
    if (bytes.readUInt32LE(i) === END_OF_DIRECTORY) {
      end = i;
      break;
    }
  if (end < 0) throw damaged("no end of central directory: was it cut short?");
  const count = bytes.readUInt16LE(end + 10);
  const directoryAt = bytes.readUInt32LE(end + 16);
  if (count === 0xffff || directoryAt === 0xffffffff)
    throw new CaptureError(`${where}: a Zip64 archive is not read; save fewer sessions in it`);
  const entries: ZipEntry[] = [];
  for (let i = 0, at = directoryAt; i < count; i++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CENTRAL_HEADER) throw damaged(`entry ${i + 1}`);
    const flags = bytes.readUInt16LE(at + 8);
    const method = bytes.readUInt16LE(at + 10);
    const compressed = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const skip = nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    const localAt = bytes.readUInt32LE(at + 42);
    // Bit 11: the name is UTF-8; otherwise it is CP437, whose ASCII part is all a capture's names use.
    const name = bytes.toString(flags & 0x800 ? "utf8" : "latin1", at + 46, at + 46 + nameLength);
    at += 46 + skip;
    if (name.endsWith("/")) continue;
    if (flags & 1)
      throw new CaptureError(`${where}: ${name} is encrypted; save the archive without a password`);
    if (localAt + 30 > bytes.length || bytes.readUInt32LE(localAt) !== LOCAL_HEADER) throw damaged(name);
    const dataAt = localAt + 30 + bytes.readUInt16LE(localAt + 26) + bytes.readUInt16LE(localAt + 28);
    if (dataAt + compressed > bytes.length) throw damaged(`${name} runs past the end`);
    const stored = bytes.subarray(dataAt, dataAt + compressed);
    let data: Buffer | "too large";
    if (method === 0) data = stored;
    else if (method === 8) {
      try {
        data = inflateRawBounded(stored);
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
