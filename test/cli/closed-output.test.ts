import { spawn, type StdioOptions } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILT_CLI, ensureBuiltCli } from "../support/built-cli.js";

const SAMPLES = join(import.meta.dirname, "..", "..", "samples", "logs");

let dir: string;
let rejectedOnly: string;

beforeAll(async () => {
  await ensureBuiltCli();
  dir = await mkdtemp(join(tmpdir(), "triage-closed-output-"));
  rejectedOnly = join(dir, "bad.ndjson");
  await writeFile(rejectedOnly, JSON.stringify({ OperationName: "GetBlob", StatusCode: 403 }) + "\n");
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The installed CLI's exit status and stderr, its output sent where `stdio` says. */
function runCli(
  args: readonly string[],
  stdio: StdioOptions,
  before: (child: ReturnType<typeof spawn>) => void = () => {},
): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUILT_CLI, ...args], { stdio });
    before(child);
    let err = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, err }));
  });
}

/** The installed CLI's exit status and stderr when the reader of its output has gone before it writes. */
function runWithReaderGone(
  args: readonly string[],
  { alsoStderr = false } = {},
): Promise<{ code: number | null; err: string }> {
  return runCli(args, ["ignore", "pipe", "pipe"], (child) => {
    // As `auth-triage … | head -1` once head has its line: the pipe's reading end is closed.
    child.stdout!.destroy();
    // As `auth-triage … 2>&1 | head -1`.
    if (alsoStderr) child.stderr!.destroy();
  });
}

describe("a reader that stops reading the output (| head)", () => {
  it("analyze ends with its own exit status and says nothing about the closed pipe", async () => {
    for (const format of ["json", "text"]) {
      const r = await runWithReaderGone(["analyze", "--logs", SAMPLES, "--format", format]);
      expect(r.err, format).toBe("");
      expect(r.code, format).toBe(0);
    }
  });

  it("the exit status stays the command's own: nothing could be read is still 2, said on stderr", async () => {
    // Its report (the rejected records listed) goes to the closed pipe; the headline to stderr.
    const r = await runWithReaderGone(["analyze", "--logs", rejectedOnly]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("nothing could be read");
    expect(r.err).not.toMatch(/EPIPE|\n\s+at /);
  });

  it("with the messages sent to the same closed pipe (2>&1 | head), the status is still the command's", async () => {
    expect((await runWithReaderGone(["analyze", "--logs", SAMPLES], { alsoStderr: true })).code).toBe(0);
    expect((await runWithReaderGone(["analyze", "--logs", rejectedOnly], { alsoStderr: true })).code).toBe(2);
  });
});

describe("an output that cannot be written", () => {
  it.runIf(existsSync("/dev/full"))(
    "a full disk ends the run with one line saying so and status 1",
    async () => {
      const full = openSync("/dev/full", "w");
      try {
        const r = await runCli(["analyze", "--logs", SAMPLES, "--format", "json"], ["ignore", full, "pipe"]);
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/^auth-triage: cannot write the output: ENOSPC: no space left on device/);
        expect(r.err.trim().split("\n")).toHaveLength(1);
      } finally {
        closeSync(full);
      }
    },
  );
});
