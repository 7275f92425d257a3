import { Writable } from "node:stream";
import { describe, expect, test } from "vitest";
import { kqlCommand } from "../../src/cli/commands/kql.js";
import { parseDuration } from "../../src/cli/duration.js";
import { main } from "../../src/cli/main.js";
import { fixedClock } from "../../src/clock.js";
import { analyzeKql } from "../support/kusto-analyzer.js";

function capture() {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

async function runKql(argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await kqlCommand(fixedClock("2026-11-22T12:00:00Z")).run(argv, {
    stdout: out.stream,
    stderr: err.stream,
    env: {},
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** The printed queries, split at their numbered headings. */
function queriesOf(stdout: string): string[] {
  return stdout
    .split(/^\/\/ \d\. .*$/m)
    .map((q) => q.trim())
    .filter((q) => q.length > 0);
}

describe("auth-triage kql", () => {
  test("prints the failure and activity queries; each analyses with zero diagnostics", async () => {
    const { code, stdout } = await runKql([]);
    expect(code).toBe(0);
    const queries = queriesOf(stdout);
    expect(queries).toHaveLength(2);
    for (const q of queries) expect(analyzeKql(q)).toEqual([]);
    expect(queries[0]).toContain("ingestion_time() > datetime(2026-11-22T10:59:00.000Z)");
    expect(queries[0]).toContain("ingestion_time() <= datetime(2026-11-22T11:59:00.000Z)");
    expect(queries[1]).toContain("AzureActivity");
  });

  test("--since sets the ingestion window", async () => {
    const { stdout } = await runKql(["--since", "30m"]);
    expect(stdout).toContain("ingestion_time() > datetime(2026-11-22T11:29:00.000Z)");
  });

  test("a bad duration is a usage error (exit 2) saying what is accepted", async () => {
    const err = capture();
    const code = await main(["kql", "--since", "soon"], {
      stdout: capture().stream,
      stderr: err.stream,
      env: {},
    });
    expect(code).toBe(2);
    expect(err.text()).toContain("is not a duration; use e.g. 30m, 2h");
  });

  test("durations", () => {
    expect(parseDuration("since", "90s")).toBe(90_000);
    expect(parseDuration("since", "1h30m")).toBe(5_400_000);
    expect(parseDuration("since", "2d")).toBe(172_800_000);
    expect(parseDuration("since", "PT2H")).toBe(7_200_000);
    expect(parseDuration("since", "P1DT6H")).toBe(108_000_000);
    expect(() => parseDuration("since", "0m")).toThrow();
    expect(() => parseDuration("since", "PT")).toThrow();
    expect(() => parseDuration("since", "-5m")).toThrow();
  });
});
