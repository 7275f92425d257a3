import { AZURITE_DEBUG_LOG } from "./azurite-debug-log.js";

/**
 * A CI job's log line: Azure Pipelines and GitHub Actions start each line of a step's output with the
 * time it was written (`2021-07-30T10:13:38.9568002Z `), which is where AzCopy's and Terraform's errors
 * are usually copied from.
 */
const CI_STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/;

/**
 * A terminal's colour and cursor codes (ESC [ … letter), which a CI job's raw log and a terminal's
 * captured output keep: PowerShell 7 colours its errors, az and AzCopy their warnings.
 */
// eslint-disable-next-line no-control-regex -- the escape character is what it finds
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

/**
 * A capture as pasted, ready for the format readers, and the name its errors go by: without a byte
 * order mark or terminal colour codes, trimmed, without the time stamp a CI job's log puts before every line (each line's start
 * taken off, so line numbers hold), and with doubled line breaks undone (a GitHub issue or a chat puts a
 * blank line after every line: then `where` says so, as its line numbers count the lines read).
 */
export function pastedText(text: string, where: string): { text: string; where: string } {
  let lines = text
    .replace(/^\uFEFF/, "")
    .replace(ANSI_ESCAPE, "")
    .trim()
    .replace(/\r\n/g, "\n")
    .split("\n");
  const doubled = lines.length >= 5 && lines.every((l, i) => i % 2 === 0 || l.trim() === "");
  if (doubled) lines = lines.filter((_, i) => i % 2 === 0);
  const read = {
    text: lines.join("\n"),
    where: doubled ? `${where} (read with its doubled line breaks undone)` : where,
  };
  // Azurite's debug log starts its lines with a time as part of its own format.
  if (AZURITE_DEBUG_LOG.test(read.text)) return read;
  const written = lines.filter((l) => l.trim() !== "");
  const stamped = written.filter((l) => CI_STAMP.test(l)).length;
  // Most lines, not all: a step's log may hold a pasted line of its own.
  if (stamped === 0 || stamped < written.length * 0.6) return read;
  return {
    ...read,
    text: lines
      .map((l) => l.replace(CI_STAMP, ""))
      .join("\n")
      .trim(),
  };
}
