import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILT_CLI, ensureBuiltCli } from "../support/built-cli.js";
import { main } from "../../src/cli/main.js";
import type { AnalysisResult } from "../../src/engine/analyze.js";
import { storageRequestsToNdjson } from "../sim/forms.js";
import { generateScenario } from "../sim/scenarios.js";
import { captureIo } from "./io.js";

const run = promisify(execFile);
let dir: string;
let logs: string;

beforeAll(async () => {
  await ensureBuiltCli();
  dir = await mkdtemp(join(tmpdir(), "engine-cli-"));
  logs = join(dir, "rows.ndjson");
  const data = generateScenario("shared-key-disabled");
  // One malformed line in the middle: counted, reported, and the rest still analysed.
  const lines = storageRequestsToNdjson(data.requests).split("\n");
  lines.splice(10, 0, '{"TimeGenerated": "not a date", "StatusCode": "403"');
  await writeFile(logs, lines.join("\n"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function inProcess(args: string[], opts: { stderrIsTTY?: boolean } = {}) {
  const io = captureIo(opts);
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe("auth-triage analyze (in-process)", () => {
  it("--help documents every flag and exits 0", async () => {
    const { code, out } = await inProcess(["analyze", "--help"]);
    expect(code).toBe(0);
    for (const flag of [
      "--logs",
      "--activity",
      "--from",
      "--to",
      "--format",
      "text",
      "markdown",
      "json",
      "Exit status",
    ]) {
      expect(out).toContain(flag);
    }
  });

  it("json: exactly one JSON object on stdout, the bad row counted with file and line", async () => {
    const { code, out, err } = await inProcess(["analyze", "--logs", logs, "--format", "json"]);
    expect(code).toBe(0);
    expect(err).toBe("");
    const result = JSON.parse(out) as AnalysisResult;
    expect(result.input.rejected).toBe(1);
    expect(result.input.rejectedSamples[0]).toMatchObject({ file: logs, line: 11 });
    expect(result.incidents.map((i) => [i.errorCode, i.authType, i.decision])).toEqual([
      ["KeyBasedAuthenticationNotPermitted", "AccountKey", "policy"],
      ["KeyBasedAuthenticationNotPermitted", "SAS", "policy"],
    ]);
  });

  it("text is the default; markdown on request", async () => {
    const text = await inProcess(["analyze", "--logs", logs]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^Storage auth triage: /);
    expect(text.out).toContain("Wrong fix to avoid:");
    const md = await inProcess(["analyze", "--logs", logs, "--format", "markdown"]);
    expect(md.out).toMatch(/^## Storage auth triage: 2 incidents/);
  });

  it("progress goes to stderr only when stderr is a terminal", async () => {
    const tty = await inProcess(["analyze", "--logs", logs, "--format", "json"], { stderrIsTTY: true });
    expect(tty.code).toBe(0);
    expect(JSON.parse(tty.out)).toHaveProperty("incidents");
    expect(tty.err).toContain("reading ");
    expect(tty.err).toContain("rows.ndjson");
    const plain = await inProcess(["analyze", "--logs", logs, "--format", "json"]);
    expect(plain.err).toBe("");
  });

  it("exit 2 with what to fix: bad date names the flag, missing input names the path", async () => {
    const bad = await inProcess(["analyze", "--logs", logs, "--from", "last tuesday"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--from 'last tuesday' is not an ISO 8601 date-time/);
    expect(bad.out).toBe("");
    const missing = await inProcess(["analyze", "--logs", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("nope.json");
    const none = await inProcess(["analyze"]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--logs PATH/);
  });
});

describe("auth-triage analyze (built CLI, child process)", () => {
  it("exit 0 and one JSON object; exit 2 on a usage error", async () => {
    const ok = await run(process.execPath, [BUILT_CLI, "analyze", "--logs", logs, "--format", "json"]);
    const result = JSON.parse(ok.stdout) as AnalysisResult;
    expect(result.incidents).toHaveLength(2);
    expect(ok.stderr).toBe("");
    const err = await run(process.execPath, [BUILT_CLI, "analyze", "--logs", logs, "--to", "soon"]).catch(
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(/--to 'soon'/);
  });
});
