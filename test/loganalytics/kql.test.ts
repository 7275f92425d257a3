import { describe, expect, test } from "vitest";
import {
  accountsWithRowsQuery,
  activityChangesQuery,
  failureClustersQuery,
  type IngestionWindow,
} from "../../src/collect/loganalytics/queries.js";
import { DEFAULT_PARTIAL_CAPS } from "../../src/collect/loganalytics/caps.js";
import { ERROR_CODES } from "../../src/codes/error-codes.js";
import { analyzeKql } from "../support/kusto-analyzer.js";

const window: IngestionWindow = {
  generatedAfterMs: Date.parse("2026-11-22T08:00:00Z"),
  ingestedAfterMs: Date.parse("2026-11-22T10:00:00Z"),
  ingestedUntilMs: Date.parse("2026-11-22T10:05:00Z"),
};

describe("generated KQL, analysed by the Kusto language service against the documented schemas", () => {
  test("the failure-clusters query has zero diagnostics", () => {
    expect(analyzeKql(failureClustersQuery(window))).toEqual([]);
  });

  test("with other caps and windows it still has zero diagnostics", () => {
    const caps = { topCallers: 3, sampleUris: 1, sampleObjectKeys: 2, sasWindows: 4, operationVersions: 2 };
    expect(
      analyzeKql(failureClustersQuery({ ...window, ingestedAfterMs: window.generatedAfterMs }, caps)),
    ).toEqual([]);
  });

  test("the activity-changes query has zero diagnostics", () => {
    expect(analyzeKql(activityChangesQuery(window.generatedAfterMs, window.ingestedUntilMs))).toEqual([]);
  });

  test("the accounts-with-rows (input health) query has zero diagnostics, and a misspelling is caught", () => {
    const q = accountsWithRowsQuery(window.ingestedAfterMs, window.ingestedUntilMs);
    expect(analyzeKql(q)).toEqual([]);
    expect(analyzeKql(accountsWithRowsQuery(0, 1, 5))).toEqual([]);
    expect(analyzeKql(q.replace("_ResourceId)", "_ResourceID)")).length).toBeGreaterThan(0);
  });

  test("a misspelled column is reported", () => {
    const broken = failureClustersQuery(window).replace(
      "OperationVersion, SasStart",
      "OperationVersoin, SasStart",
    );
    const diagnostics = analyzeKql(broken);
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics.map((d) => d.message).join("\n")).toContain("OperationVersoin");
  });

  test("a column that only exists in StorageBlobLogs is caught when used outside column_ifexists on another table", () => {
    const diagnostics = analyzeKql("StorageQueueLogs | where SasExpiryStatus startswith 'Policy violated'");
    expect(diagnostics.length).toBeGreaterThan(0);
  });

  test("a misspelled AzureActivity column is reported", () => {
    const broken = activityChangesQuery(0, 1).replace("ActivityStatusValue,", "ActivityStatusValu,");
    expect(analyzeKql(broken).length).toBeGreaterThan(0);
  });
});

describe("query content", () => {
  const q = failureClustersQuery(window);

  test("selects 401/403 from the union of the four tables, tolerating missing tables", () => {
    expect(q).toContain(
      "union isfuzzy=true StorageBlobLogs, StorageQueueLogs, StorageTableLogs, StorageFileLogs",
    );
    expect(q).toContain("toint(StatusCode) in (401, 403)");
  });

  test("cuts the window by ingestion time (half-open) and bounds TimeGenerated", () => {
    expect(q).toContain(
      "ingestion_time() > datetime(2026-11-22T10:00:00.000Z) and ingestion_time() <= datetime(2026-11-22T10:05:00.000Z)",
    );
    expect(q).toContain("TimeGenerated > datetime(2026-11-22T08:00:00.000Z)");
  });

  test("the verdict case() covers every code of the error-code table", () => {
    for (const entry of ERROR_CODES) expect(q).toContain(`"${entry.code}"`);
  });

  test("applies the partial caps server-side", () => {
    expect(q).toContain(`CallerRank <= ${DEFAULT_PARTIAL_CAPS.topCallers}`);
    expect(q).toContain(`make_set_if(Uri, isnotempty(Uri), ${DEFAULT_PARTIAL_CAPS.sampleUris})`);
    expect(q).toContain(`SasRank <= ${DEFAULT_PARTIAL_CAPS.sasWindows}`);
  });
});

describe("root-cause evidence query", () => {
  test("has zero diagnostics", async () => {
    const { rootCauseEvidenceQuery } = await import("../../src/collect/loganalytics/evidence.js");
    const q = rootCauseEvidenceQuery(
      ["contosoprod", "partnerdrop"],
      window.generatedAfterMs,
      window.ingestedUntilMs,
    );
    expect(analyzeKql(q)).toEqual([]);
    expect(q).toContain('tolower(AccountName) in ("contosoprod", "partnerdrop")');
  });
});
