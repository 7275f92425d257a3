import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verdictCaseKql } from "../../src/codes/kql.js";
import {
  DEFAULT_WORKSPACES_PLACEHOLDER,
  WORKBOOK_RELATIVE_PATH,
  clusteredFailuresKql,
  failuresOverTimeKql,
  renderWorkbookJson,
  topCallersKql,
} from "../../src/workbook/storage-auth-triage-workbook.js";
import { REPO_ROOT } from "./bicep-cli.js";

const committed = readFileSync(join(REPO_ROOT, WORKBOOK_RELATIVE_PATH), "utf8");

interface WorkbookItem {
  type: number;
  name: string;
  content: {
    query?: string;
    visualization?: string;
    crossComponentResources?: string[];
    timeContextFromParameter?: string;
    parameters?: { name: string; type: number; value?: unknown }[];
  };
}

describe("workbook JSON", () => {
  it("is exactly what the generator produces (run `npm run build:workbook` after changing codes or queries)", () => {
    expect(committed).toBe(renderWorkbookJson());
  });

  const workbook = JSON.parse(committed) as { version: string; items: WorkbookItem[] };
  const byName = new Map(workbook.items.map((item) => [item.name, item]));

  it("has a time-range parameter and a workspace picker whose default the deployment fills in", () => {
    const parameters = byName.get("parameters")?.content.parameters ?? [];
    const timeRange = parameters.find((p) => p.name === "TimeRange");
    expect(timeRange?.type).toBe(4);
    const workspaces = parameters.find((p) => p.name === "Workspaces");
    expect(workspaces?.type).toBe(5);
    expect(workspaces?.value).toBe(DEFAULT_WORKSPACES_PLACEHOLDER);
    // The Bicep module swaps the quoted placeholder for a JSON array; it must occur exactly once.
    expect(committed.split(`"${DEFAULT_WORKSPACES_PLACEHOLDER}"`).length).toBe(2);
  });

  it("has the clustered grid, the verdict time chart and the top callers, all over the chosen workspaces and time range", () => {
    const grid = byName.get("clustered-failures")?.content;
    const chart = byName.get("failures-over-time")?.content;
    const callers = byName.get("top-callers")?.content;
    expect(grid?.visualization).toBe("table");
    expect(chart?.visualization).toBe("timechart");
    expect(callers?.visualization).toBe("table");
    for (const item of [grid, chart, callers]) {
      expect(item?.crossComponentResources).toEqual(["{Workspaces}"]);
      expect(item?.timeContextFromParameter).toBe("TimeRange");
      expect(item?.query).toContain(
        "union isfuzzy=true StorageBlobLogs, StorageQueueLogs, StorageTableLogs, StorageFileLogs",
      );
      expect(item?.query).toContain("toint(StatusCode) in (401, 403)");
      // Same verdict as the engine: the case() generated from the single error-code table.
      expect(item?.query).toContain(verdictCaseKql("StatusText", "AuthenticationType"));
    }
    expect(grid?.query).toMatch(
      /by AccountName, Service = ServiceType, OperationName, StatusCode, ErrorCode, AuthenticationType, Verdict/,
    );
    expect(chart?.query).toContain("by Verdict, bin(TimeGenerated, {TimeRange:grain})");
    expect(callers?.query).toMatch(/by CallerIp, UserAgent/);
  });

  it("never shows request URIs (SAS URIs carry the signature)", () => {
    for (const item of workbook.items) expect(item.content.query ?? "").not.toMatch(/\bUri\b/);
  });
});

/* Kusto.Language (Bridge.NET build) publishes globals and has no usable typings. */
/* eslint-disable @typescript-eslint/no-explicit-any */
function kustoDiagnostics(query: string): string[] {
  const require = createRequire(import.meta.url);
  require("@kusto/language-service-next/bridge.js");
  require("@kusto/language-service-next/Kusto.Language.Bridge.js");
  const { Kusto, System } = globalThis as unknown as { Kusto: any; System: any };
  const K = Kusto.Language;
  // The columns of the resource-specific Storage*Logs tables that the queries use (storage-logs reference).
  const columns =
    "(TimeGenerated:datetime, AccountName:string, ServiceType:string, OperationName:string, StatusCode:string, " +
    "StatusText:string, AuthenticationType:string, CallerIpAddress:string, UserAgentHeader:string, Uri:string)";
  const tables = ["StorageBlobLogs", "StorageQueueLogs", "StorageTableLogs", "StorageFileLogs"].map(
    (name) => new K.Symbols.TableSymbol.$ctor7(name, columns, null),
  );
  const globals = K.GlobalState.Default.WithDatabase(
    new K.Symbols.DatabaseSymbol.$ctor1("workspace", tables),
  );
  const code = K.KustoCode.ParseAndAnalyze(query, globals);
  const list = code.GetDiagnostics();
  const messages: string[] = [];
  for (let i = 0; i < System.Array.getCount(list, K.Diagnostic); i++) {
    const d = System.Array.getItem(list, i, K.Diagnostic);
    messages.push(
      `${String(d.Severity)} ${String(d.Message)} near '${query.slice(Math.max(0, d.Start - 30), d.Start + 30)}'`,
    );
  }
  return messages;
}

describe("workbook queries are valid KQL (Kusto language service, workbook parameters substituted)", () => {
  // What the portal substitutes for {TimeRange} and {TimeRange:grain}.
  const timeFilter = "between (datetime(2026-11-01T00:00:00Z) .. datetime(2026-11-02T00:00:00Z))";
  it.each([
    ["clustered failures", clusteredFailuresKql(timeFilter)],
    ["failures over time", failuresOverTimeKql(timeFilter, "1h")],
    ["top callers", topCallersKql(timeFilter)],
  ])("%s", (_name, query) => {
    expect(kustoDiagnostics(query)).toEqual([]);
  });

  it("the analyzer does catch a broken query", () => {
    expect(
      kustoDiagnostics(clusteredFailuresKql(timeFilter).replace("AccountName,", "AccountNam,")).length,
    ).toBeGreaterThan(0);
  });
});
