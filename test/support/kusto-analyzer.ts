import { createRequire } from "node:module";
import { ALL_TABLE_SCHEMAS } from "../../src/collect/loganalytics/schemas.js";

/**
 * Parses and semantically analyses KQL with the real Kusto language service (@kusto/language-service-next,
 * a Bridge.NET build of Kusto.Language), against a database holding the documented table schemas.
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

/** `extraTables`: more tables (name → column → Kusto type) beside the documented ones, e.g. a custom table. */
export function analyzeKql(
  query: string,
  extraTables?: Readonly<Record<string, Readonly<Record<string, string>>>>,
): KqlDiagnostic[] {
  const { Kusto, System } = bridge();
  const K = Kusto.Language;
  const code = K.KustoCode.ParseAndAnalyze(query, workspaceGlobals(extraTables));
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
