import { describe, expect, it } from "vitest";
import type { Clock } from "../../src/clock.js";
import { handleListIncidents, type IncidentListResponse } from "../../src/dashboard/api.js";
import { MemoryTriageStore } from "../../src/state/memory.js";
import { MAX_NAMED_ACCOUNTS, checkInputs, describeInputHealth } from "../../src/timer/input-health.js";
import type { AnalysisWindowMs, SourceAnalysis } from "../../src/timer/source.js";
import { TimelineSource } from "./fixture-source.js";
import { minutes } from "./fixtures.js";
import { harness } from "./harness.js";

const NOW = new Date("2026-11-22T10:05:00Z");
const expect0 = { expectedAccounts: [], sourceDescription: "Log Analytics (1 workspace(s))" };

describe("checkInputs", () => {
  it("says nothing when every input has data", () => {
    const health = checkInputs({ storageRows: 500, failures: 12, activityEvents: 3 }, expect0, NOW);
    expect(health).toEqual({ checkedAt: NOW.toISOString(), problems: [] });
    expect(describeInputHealth(health)).toBe("inputs ok: Storage logs present");
  });

  it("names an empty Storage log source and how to switch the logs on", () => {
    const { problems } = checkInputs({ storageRows: 0, failures: 0, activityEvents: 0 }, expect0, NOW);
    expect(problems.map((p) => p.input)).toEqual(["storage-logs"]);
    expect(problems[0]!.problem).toContain("Log Analytics (1 workspace(s))");
    expect(problems[0]!.fix).toContain("AUTHTRIAGE_STORAGE_ACCOUNT_IDS");
  });

  it("says root causes are off when failures have no AzureActivity rows, and only then", () => {
    const off = checkInputs({ storageRows: 500, failures: 12, activityEvents: 0 }, expect0, NOW);
    expect(off.problems.map((p) => p.input)).toEqual(["activity-log"]);
    expect(off.problems[0]!.problem).toMatch(/root causes are off/);
    expect(off.problems[0]!.fix).toMatch(/exportActivityLog/);
    // No failures: nothing to explain, so no activity is expected. Unknown: not checked.
    expect(checkInputs({ storageRows: 500, failures: 0, activityEvents: 0 }, expect0, NOW).problems).toEqual(
      [],
    );
    expect(checkInputs({ storageRows: 500, failures: 12 }, expect0, NOW).problems).toEqual([]);
  });

  it("names each listed account with no logs at all, case-insensitively, capped", () => {
    const expectations = { ...expect0, expectedAccounts: ["stinvoicesprod01", "STCDNORIGIN13", "stquiet02"] };
    const { problems } = checkInputs(
      { storageRows: 40, failures: 0, accountsWithRows: ["stcdnorigin13", "stinvoicesprod01"] },
      expectations,
      NOW,
    );
    expect(problems.map((p) => p.input)).toEqual(["account:stquiet02"]);
    const many = Array.from(
      { length: MAX_NAMED_ACCOUNTS + 5 },
      (_, k) => `stquiet${String(k).padStart(3, "0")}`,
    );
    const capped = checkInputs(
      { storageRows: 40, failures: 0, accountsWithRows: [] },
      { ...expect0, expectedAccounts: many },
      NOW,
    ).problems;
    expect(capped).toHaveLength(MAX_NAMED_ACCOUNTS + 1);
    expect(capped.at(-1)!.problem).toMatch(/^5 more listed storage accounts/);
  });
});

/** A timeline whose source reports no AzureActivity and which accounts it saw. */
class NoActivitySource extends TimelineSource {
  override async analyze(window: AnalysisWindowMs, clock: Clock): Promise<SourceAnalysis> {
    const result = await super.analyze(window, clock);
    return { ...result, activityEvents: 0, accountsWithRows: ["contosodata"] };
  }
}

describe("a cycle with empty inputs", () => {
  it("says what is empty in the run log, the report (telemetry) and the next card", async () => {
    const source = new NoActivitySource([{ perMinute: minutes("2026-11-22T10:00:00Z", [6, 6]) }]);
    const h = await harness(new MemoryTriageStore(), source);
    try {
      const report = await h.run(
        "2026-11-22T10:05:00Z",
        {},
        { TRIAGE_EXPECTED_ACCOUNTS: "contosodata,stquiet02" },
      );
      expect(report.inputs?.problems.map((p) => p.input)).toEqual(["activity-log", "account:stquiet02"]);
      expect(h.logs.filter((l) => l.startsWith("warn: empty inputs:"))).toHaveLength(1);
      const card = JSON.stringify(h.teams.received.map((r) => r.body));
      expect(card).toContain("**Missing input**: no AzureActivity rows around the failures");
      expect(card).toContain("stquiet02");
      // The dashboard's list API carries the latest check for its header.
      const response = await handleListIncidents(h.store, new URLSearchParams());
      const body = JSON.parse(String(response.body)) as IncidentListResponse;
      expect(body.inputs?.checkedAt).toBe("2026-11-22T10:05:00.000Z");
      expect(body.inputs?.problems.map((p) => p.input)).toEqual(["activity-log", "account:stquiet02"]);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });

  it("rejects a listed account name that cannot be a storage account", async () => {
    const h = await harness(new MemoryTriageStore(), new TimelineSource([]));
    try {
      await expect(
        h.run("2026-11-22T10:05:00Z", {}, { TRIAGE_EXPECTED_ACCOUNTS: "Not_An_Account" }),
      ).rejects.toThrow(/TRIAGE_EXPECTED_ACCOUNTS: 'Not_An_Account' is not a storage account name/);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });
});
