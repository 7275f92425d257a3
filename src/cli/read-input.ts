import { readFile } from "node:fs/promises";
import { UsageError } from "./command.js";

/** A text file named by a flag, as UTF-8; an unreadable one is a usage error naming the flag and path. */
export async function readInputFile(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(
      `cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
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
