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
  test("prints every query the product sends: failures, activity, root-cause evidence, input health; each analyses with zero diagnostics", async () => {
    const { code, stdout } = await runKql([]);
    expect(code).toBe(0);
    const queries = queriesOf(stdout);
    expect(queries).toHaveLength(4);
    for (const q of queries) expect(analyzeKql(q)).toEqual([]);
    expect(queries[0]).toContain("ingestion_time() > datetime(2026-11-22T10:59:00.000Z)");
    expect(queries[0]).toContain("ingestion_time() <= datetime(2026-11-22T11:59:00.000Z)");
    expect(queries[1]).toContain("AzureActivity");
    expect(queries[2]).toMatch(/^\/\/ auth-triage: root-cause-evidence/m);
    // Without --account the evidence query finds the failing accounts itself.
    expect(queries[2]).toContain("tolower(AccountName) in (FailingAccounts)");
    expect(queries[2]).toContain("FailingRank <= 100");
    // The timer's input health: accounts with rows over its window by TimeGenerated, ending now.
    expect(queries[3]).toMatch(/^\/\/ auth-triage: accounts-with-rows/m);
    expect(queries[3]).toContain(
      "TimeGenerated >= datetime(2026-11-22T11:00:00.000Z) and TimeGenerated < datetime(2026-11-22T12:00:00.000Z)",
    );
    expect(queries[3]).toContain("summarize RowCount = count() by Account");
  });

  test("--account prints the evidence query as the product sends it for those accounts", async () => {
    const { stdout } = await runKql(["--account", "contosoprod", "--account", "partnerdrop"]);
    const evidence = queriesOf(stdout)[2]!;
    expect(analyzeKql(evidence)).toEqual([]);
    expect(evidence).toContain('tolower(AccountName) in ("contosoprod", "partnerdrop")');
    const bad = await runKql(["--account", 'x") | take 1 //']).catch((e: Error) => e);
    expect(bad).toBeInstanceOf(Error);
    expect((bad as Error).message).toMatch(/--account: a storage account name/);
  });

  test("--target adx prints the external table definition and the same code-table query, both valid Kusto", async () => {
    const { code, stdout } = await runKql([
      "--target",
      "adx",
      "--archive-account",
      "https://contosologs.blob.core.windows.net",
      "--since",
      "2h",
    ]);
    expect(code).toBe(0);
    const [table, clusters] = queriesOf(stdout);
    expect(table).toMatch(/^\.create-or-alter external table StorageLogArchive /);
    expect(table).toContain(
      "h@'https://contosologs.blob.core.windows.net/insights-logs-storageread;impersonate'",
    );
    expect(analyzeKql(table!, "adx")).toEqual([]);
    expect(analyzeKql(clusters!, "adx")).toEqual([]);
    expect(clusters).toContain("['time'] > datetime(2026-11-22T09:59:00.000Z)");
    // The same code table as the Log Analytics query.
    const la = queriesOf((await runKql([])).stdout)[0]!;
    const decision = (q: string) => /\| extend Decision = [\s\S]*?KnownCode = [^\n]*/.exec(q)?.[0];
    expect(decision(clusters!)).toBeDefined();
    expect(decision(clusters!)).toBe(decision(la));
  });

  test("--target adx needs the archive account's blob endpoint, without a SAS", async () => {
    await expect(runKql(["--target", "adx"])).rejects.toThrow(/needs --archive-account URL/);
    await expect(
      runKql(["--target", "adx", "--archive-account", "https://a.blob.core.windows.net/?sv=1&sig=abc"]),
    ).rejects.toThrow(/no SAS, no key/);
    await expect(runKql(["--target", "kusto"])).rejects.toThrow(/expected log-analytics or adx/);
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
