import { describe, expect, it } from "vitest";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { runPwsh } from "../pwsh.js";
import { generateAll } from "../sim/scenarios.js";
import { storageRequestsToLogAnalyticsJsonArray } from "../sim/forms.js";
import { readStorage, tempDir, writeTemp } from "./helpers.js";
import { join } from "node:path";

/**
 * Log Analytics rows as PowerShell saves them, written by the real PowerShell 7: the rows as
 * Invoke-AzOperationalInsightsQuery returns them (objects with text values), then Export-Csv (every
 * field quoted), Export-Csv -Delimiter ';' (a comma-decimal culture's -UseCulture), ConvertTo-Json, and
 * what Windows PowerShell 5.1 does by default (a #TYPE line, UTF-16 files). Each reads to exactly the
 * rows of the JSON they came from.
 */

const requests: StorageRequest[] = generateAll({ seed: 11 }).requests.slice(0, 400);
// A user agent with the characters a CSV must quote, and text past ASCII.
requests[0] = { ...requests[0]!, userAgent: 'MyApp/1.0 ("quoted", a;b) café' };

describe("Log Analytics rows saved by the real PowerShell 7", () => {
  it("Export-Csv, Export-Csv -Delimiter ';' and ConvertTo-Json read as the JSON they came from", async () => {
    const dir = await tempDir();
    // The Logs API gives every row every column (null where a row has no value); Export-Csv takes its
    // header from the first object, so rows of different shapes would lose columns.
    const rows = JSON.parse(storageRequestsToLogAnalyticsJsonArray(requests)) as Array<
      Record<string, unknown>
    >;
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const full = rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
    const json = await writeTemp("rows.json", JSON.stringify(full, null, 2), dir);
    const truth = await readStorage([json]);
    expect(truth.rejections.count).toBe(0);
    // -DateKind String keeps TimeGenerated the text the Logs API returned, as the Az module does.
    await runPwsh(
      [
        `$rows = Get-Content -Raw '${json}' | ConvertFrom-Json -DateKind String`,
        `$rows | Export-Csv -NoTypeInformation -Path '${join(dir, "rows.csv")}'`,
        `$rows | Export-Csv -NoTypeInformation -Delimiter ';' -Path '${join(dir, "rows-semicolon.csv")}'`,
        `$rows | ConvertTo-Json -Depth 5 | Set-Content -Path '${join(dir, "rows-ps.json")}'`,
        // What Windows PowerShell 5.1 writes by default: the #TYPE line, and UTF-16 for `>` / Out-File.
        `$rows | Export-Csv -IncludeTypeInformation -Path '${join(dir, "rows-type.csv")}'`,
        `$rows | ConvertTo-Json -Depth 5 | Out-File -Encoding unicode -FilePath '${join(dir, "rows-utf16.json")}'`,
      ].join("\n"),
    );
    for (const name of [
      "rows.csv",
      "rows-semicolon.csv",
      "rows-ps.json",
      "rows-type.csv",
      "rows-utf16.json",
    ]) {
      const read = await readStorage([join(dir, name)]);
      expect({ name, rejected: read.rejections.samples }).toEqual({ name, rejected: [] });
      expect(read.records).toEqual(truth.records);
    }
  }, 60_000);
});
