import { readSync } from "node:fs";

/**
 * Gzip's magic number, told apart from the start of a file. A module of its own so that the skim-ahead
 * thread, which loads only what it reads with (skim-ahead-thread.ts), tests for it as the readers do.
 */
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** Whether a file's first bytes are gzip's magic number. */
export function isGzipHead(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
}

/** Whether the file open as `fd` starts as gzip does (isGzipHead of its first two bytes). */
export function startsAsGzip(fd: number): boolean {
  const magic = Buffer.alloc(2);
  return isGzipHead(magic.subarray(0, readSync(fd, magic, 0, 2, 0)));
}
