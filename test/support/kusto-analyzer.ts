import { createRequire } from "node:module";
import {
  ADX_ARCHIVE_TABLE,
  ARCHIVE_PATH_COLUMNS,
  ARCHIVE_RECORD_SCHEMA,
} from "../../src/collect/adx/archive-kql.js";
import { ALL_TABLE_SCHEMAS } from "../../src/collect/loganalytics/schemas.js";

/**
 * Parses and semantically analyses KQL with the real Kusto language service (@kusto/language-service-next,
 * a Bridge.NET build of Kusto.Language), against a database holding the documented table schemas (or, for
 * `adx`, the archive's external table).
 */
export interface KqlDiagnostic {
  severity: string;
  message: string;
  start: number;
  /** The query text around the problem, for readable failures. */
  near: string;
}

/* The bridge publishes plain globals (Bridge, System, Kusto) and has no usable ESM typings. */
/* eslint-disable @typescript-eslint/no-explicit-any */
type BridgeGlobals = { Kusto: any; System: any };

let loaded: BridgeGlobals | undefined;

function bridge(): BridgeGlobals {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    require("@kusto/language-service-next/bridge.js");
    require("@kusto/language-service-next/Kusto.Language.Bridge.js");
    const g = globalThis as unknown as BridgeGlobals;
    loaded = { Kusto: g.Kusto, System: g.System };
  }
  return loaded;
}

let globalState: any;

function workspaceGlobals(extraTables?: Readonly<Record<string, Readonly<Record<string, string>>>>): any {
  if (globalState && !extraTables) return globalState;
  const { Kusto } = bridge();
  const K = Kusto.Language;
  const tables = Object.entries({ ...ALL_TABLE_SCHEMAS, ...extraTables }).map(([name, schema]) => {
    const columns = Object.entries(schema)
      .map(([column, type]) => `['${column}']:${type}`)
      .join(", ");
    return new K.Symbols.TableSymbol.$ctor7(name, `(${columns})`, null);
  });
  const database = new K.Symbols.DatabaseSymbol.$ctor1("workspace", tables);
  const state = K.GlobalState.Default.WithDatabase(database);
  if (!extraTables) globalState = state;
  return state;
}

let adxState: any;

/** An Azure Data Explorer database holding the archive's external table (src/collect/adx/archive-kql.ts). */
function adxGlobals(): any {
  if (adxState) return adxState;
  const { Kusto } = bridge();
  const K = Kusto.Language;
  const columns = [...ARCHIVE_RECORD_SCHEMA, ...ARCHIVE_PATH_COLUMNS]
    .map(([n, t]) => `['${n}']:${t}`)
    .join(", ");
  const table = new K.Symbols.ExternalTableSymbol.$ctor4(ADX_ARCHIVE_TABLE, `(${columns})`, null);
  const database = new K.Symbols.DatabaseSymbol.$ctor1("archive", [table]);
  adxState = K.GlobalState.Default.WithDatabase(database);
  return adxState;
}

/**
 * `target`: the Log Analytics workspace (default), an Azure Data Explorer database with the archive's
 * external table ("adx"), or the workspace with more tables (name → column → Kusto type), e.g. a custom table.
 */
export function analyzeKql(
  query: string,
  target:
    "log-analytics" | "adx" | Readonly<Record<string, Readonly<Record<string, string>>>> = "log-analytics",
): KqlDiagnostic[] {
  const { Kusto, System } = bridge();
  const K = Kusto.Language;
  const globals =
    target === "adx" ? adxGlobals() : workspaceGlobals(typeof target === "object" ? target : undefined);
  const code = K.KustoCode.ParseAndAnalyze(query, globals);
  const list = code.GetDiagnostics();
  const count: number = System.Array.getCount(list, K.Diagnostic);
  const out: KqlDiagnostic[] = [];
  for (let i = 0; i < count; i++) {
    const d = System.Array.getItem(list, i, K.Diagnostic);
    const start: number = d.Start;
    out.push({
      severity: String(d.Severity),
      message: String(d.Message),
      start,
      near: query.slice(Math.max(0, start - 40), start + 40),
    });
  }
  return out;
}
