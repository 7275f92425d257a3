import { readFile } from "node:fs/promises";
import type { CaptureSessions } from "../doctor/capture.js";
import { sazCapture } from "../doctor/capture/fiddler-saz.js";
import { isZip } from "../doctor/capture/zip-entries.js";
import { inflateRawNode } from "../inflate-bounded.js";
import { UsageError } from "./command.js";

/** A text file named by a flag, as UTF-8; an unreadable one is a usage error naming the flag and path. */
export async function readInputFile(path: string, flag: string): Promise<string> {
  return (await readBytes(path, flag)).toString("utf8");
}

async function readBytes(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new UsageError(
      `cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/**
 * A capture file named by a flag: its text, or, for Fiddler's session archive (a zip), its sessions
 * (src/doctor/capture/fiddler-saz.ts), each the request and response as Fiddler recorded them.
 */
export async function readCaptureFile(path: string, flag: string): Promise<string | CaptureSessions> {
  const bytes = await readBytes(path, flag);
  if (!isZip(bytes)) return bytes.toString("utf8");
  return sazCapture(bytes, path, inflateRawNode);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** readInputFile, where `-` means standard input. */
export async function readInputOrStdin(path: string, flag: string): Promise<string> {
  return path === "-" ? readStdin() : readInputFile(path, flag);
}
