import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { BUILT_CLI, ensureBuiltCli } from "../support/built-cli.js";
import type { AnalysisResult } from "../../src/engine/analyze.js";
import { compareText } from "../../src/order.js";
import { archiveLine, writeTemp } from "../collect/helpers.js";

const run = promisify(execFile);

describe("the order of ties", () => {
  it("is code-unit order, whatever the machine's locale", async () => {
    await ensureBuiltCli();
    // One failure from each of four callers that differ only in their user agent: equal counts, so the
    // callers are ordered by key. Danish collation puts "AB" before "ab" and "aa" after "å".
    const agents = ["aa-client/1.0", "ab-client/1.0", "AB-client/1.0", "å-client/1.0"];
    const lines = agents.map((ua, i) =>
      archiveLine({
        time: `2024-05-01T10:00:0${i}.0000000Z`,
        properties: {
          accountName: "acct1",
          userAgentHeader: ua,
          serviceType: "blob",
          objectKey: "/acct1/c/b.txt",
        },
      }),
    );
    const file = await writeTemp("ties.jsonl", lines.join("\n") + "\n");
    const reports: string[] = [];
    for (const locale of ["en_US.UTF-8", "da_DK.UTF-8", "C"]) {
      const { stdout } = await run(
        process.execPath,
        [BUILT_CLI, "analyze", "--logs", file, "--format", "json"],
        {
          env: { ...process.env, LANG: locale, LC_ALL: locale },
        },
      );
      const { generatedAt: _, ...report } = JSON.parse(stdout) as AnalysisResult;
      reports.push(JSON.stringify(report));
      const callers = report.incidents[0]!.callers.map((c) => c.userAgent);
      expect(callers, locale).toEqual([...agents].sort(compareText));
    }
    expect(new Set(reports).size).toBe(1);
  });
});

describe("compareText", () => {
  it("orders by UTF-16 code units, as the < operator does", () => {
    const words = ["aa", "AB", "ab", "å", "z", "a-b", "a_b", "10.0.0.9", "10.0.0.10", ""];
    expect([...words].sort(compareText)).toEqual([
      "",
      "10.0.0.10",
      "10.0.0.9",
      "AB",
      "a-b",
      "a_b",
      "aa",
      "ab",
      "z",
      "å",
    ]);
    for (const a of words)
      for (const b of words) expect(Math.sign(compareText(a, b))).toBe(a < b ? -1 : a > b ? 1 : 0);
  });
});
