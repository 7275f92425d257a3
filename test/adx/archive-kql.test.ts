import { describe, expect, test } from "vitest";
import {
  ARCHIVE_PATH_COLUMNS,
  adxFailureClustersQuery,
  archiveExternalTableCommand,
} from "../../src/collect/adx/archive-kql.js";
import { ARCHIVE_LAYOUT, hourOfBlob } from "../../src/collect/archive/paths.js";
import { failureClustersQuery } from "../../src/collect/loganalytics/queries.js";
import { analyzeKql } from "../support/kusto-analyzer.js";

const FROM = Date.parse("2026-11-22T10:20:00Z");
const TO = Date.parse("2026-11-22T12:00:00Z");
const RESOURCE =
  "resourceId=/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/RG-PROD/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/CONTOSOPROD/BLOBSERVICES/DEFAULT/";

/**
 * Renders a `pathformat=(…)` the way the external table does (quoted separators, partition values,
 * `datetime_pattern` with .NET quoting), to check it against the archive's real blob names.
 */
function renderPathFormat(command: string, values: Record<string, string | number>): string {
  const body = /pathformat=\(([\s\S]*?)\)\ndataformat/.exec(command)?.[1];
  if (!body) throw new Error("no pathformat");
  const token = /"((?:[^"\\]|\\.)*)"|datetime_pattern\("((?:[^"\\]|\\.)*)",\s*(\w+)\)|(\w+)/g;
  let out = "";
  for (const m of body.matchAll(token)) {
    if (m[1] !== undefined) out += m[1];
    else if (m[2] !== undefined) {
      const t = new Date(values[m[3]!] as number);
      const fields: Record<string, string> = {
        yyyy: String(t.getUTCFullYear()),
        MM: String(t.getUTCMonth() + 1).padStart(2, "0"),
        dd: String(t.getUTCDate()).padStart(2, "0"),
        HH: String(t.getUTCHours()).padStart(2, "0"),
      };
      // Quoted runs are literal; the rest are format specifiers.
      out += m[2]
        .split("'")
        .map((part, i) => (i % 2 === 1 ? part : part.replace(/yyyy|MM|dd|HH/g, (f) => fields[f]!)))
        .join("");
    } else out += String(values[m[4]!]);
  }
  return out;
}

describe("Azure Data Explorer over the archive container", () => {
  const command = archiveExternalTableCommand("https://contosologs.blob.core.windows.net/");

  test("the external table definition analyses with zero diagnostics; a broken one does not", () => {
    expect(analyzeKql(command, "adx")).toEqual([]);
    expect(analyzeKql(command.replace("dataformat=multijson", "dataformat="), "adx")).not.toEqual([]);
  });

  test("its path format renders exactly the archive's blob folders, so partitions prune by hour and account", () => {
    const hour = Date.parse("2026-11-20T06:00:00Z");
    const folder = renderPathFormat(command, {
      SubscriptionId: "00000000-1111-2222-3333-444444444444",
      ResourceGroup: "RG-PROD",
      StorageAccount: "CONTOSOPROD",
      Service: "BLOBSERVICES",
      ServiceInstance: "DEFAULT",
      Hour: hour,
    });
    const blob = `${RESOURCE}${ARCHIVE_LAYOUT.hourPrefix(hour)}m=00/PT1H.json`;
    expect(`${folder}/PT1H.json`).toBe(blob);
    expect(hourOfBlob(blob)).toBe(hour);
    expect(ARCHIVE_PATH_COLUMNS.map(([n]) => n).every((n) => command.includes(` ${n}`))).toBe(true);
  });

  test("one store per archive container, reached by the caller's identity, never a key", () => {
    for (const c of [
      "insights-logs-storageread",
      "insights-logs-storagewrite",
      "insights-logs-storagedelete",
    ])
      expect(command).toContain(`h@'https://contosologs.blob.core.windows.net/${c};impersonate'`);
    expect(() => archiveExternalTableCommand("DefaultEndpointsProtocol=https;AccountKey=c2VjcmV0")).toThrow(
      /^not a URL/,
    );
    expect(() =>
      archiveExternalTableCommand("DefaultEndpointsProtocol=https;AccountKey=c2VjcmV0"),
    ).not.toThrow(/c2VjcmV0/);
  });

  test("the failure-clusters query analyses with zero diagnostics and shares every line after the rows with Log Analytics", () => {
    const adx = adxFailureClustersQuery(FROM, TO);
    expect(analyzeKql(adx, "adx")).toEqual([]);
    expect(adx).toContain(
      "| where Hour between (datetime(2026-11-22T10:00:00.000Z) .. datetime(2026-11-22T13:00:00.000Z))",
    );
    const la = failureClustersQuery({ generatedAfterMs: FROM, ingestedAfterMs: FROM, ingestedUntilMs: TO });
    const after = (q: string) => q.slice(q.indexOf("let AuthFailures"));
    expect(after(adx)).toBe(after(la));
  });
});
