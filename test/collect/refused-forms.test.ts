import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storageRequestsToArchiveJsonLines } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { analyzeJson } from "../support/analyze-json.js";
import { writeZip } from "../support/write-zip.js";

/**
 * Binary files a user may hand over instead of a log export (a zip of downloaded logs, an Excel workbook,
 * a Parquet export, another compressor's archive), made by real writers (Python's zipfile, bz2 and lzma,
 * DuckDB's Parquet writer): each is refused whole, by name, with what to give instead, while the other
 * inputs of the run are read.
 */
const data = generateAll({ seed: 7 });
const lines = storageRequestsToArchiveJsonLines(data.requests);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refused-forms-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs Debian's Python on a script with the paths as its arguments. */
function python(script: string, ...args: string[]): void {
  const run = spawnSync("/usr/bin/python3", ["-c", script, ...args], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr || run.error?.message}`);
}

describe("binary files that are not log exports", () => {
  it("are each refused whole with what to give instead, and the rest of the run is read", async () => {
    const logs = join(dir, "PT1H.json");
    writeFileSync(logs, lines);
    const zip = join(dir, "logs.zip");
    writeZip(zip, { "PT1H.json": lines });
    // The parts an Excel workbook holds, in the order Excel writes them.
    const workbook = join(dir, "export.xlsx");
    writeZip(workbook, {
      "[Content_Types].xml": "<Types/>",
      "_rels/.rels": "<Relationships/>",
      "xl/workbook.xml": "<workbook/>",
      "xl/worksheets/sheet1.xml": "<worksheet/>",
    });
    const bz2 = join(dir, "PT1H.json.bz2");
    python(
      "import sys, bz2\nopen(sys.argv[1], 'wb').write(bz2.compress(open(sys.argv[2], 'rb').read()))",
      bz2,
      logs,
    );
    const xz = join(dir, "PT1H.json.xz");
    python(
      "import sys, lzma\nopen(sys.argv[1], 'wb').write(lzma.compress(open(sys.argv[2], 'rb').read()))",
      xz,
      logs,
    );
    const parquet = join(dir, "rows.parquet");
    const duck = await (await DuckDBInstance.create(":memory:")).connect();
    await duck.run(
      `COPY (SELECT * FROM read_json('${logs}', format = 'newline_delimited')) TO '${parquet}' (FORMAT parquet)`,
    );
    expect(readFileSync(parquet).subarray(0, 4).toString("latin1")).toBe("PAR1");

    const run = await analyzeJson(["--logs", logs, zip, workbook, bz2, xz, parquet]);
    expect(run.code).toBe(0);
    expect(run.result.input.rows).toBe(data.requests.length);
    const reasons = Object.fromEntries(
      run.result.input.rejectedSamples.map((r) => [
        r.file.slice(dir.length + 1),
        `${r.line} ${r.field} ${r.reason}`,
      ]),
    );
    expect(reasons).toEqual({
      "logs.zip":
        "1 (file) a zip archive is not read; unzip it and give the folder (or its files) to --logs; nothing in it was read",
      "export.xlsx":
        "1 (file) an Excel workbook is not read; save the sheet as CSV UTF-8 (or export the query's results as CSV); nothing in it was read",
      "PT1H.json.bz2":
        "1 (file) a bzip2 archive is not read; decompress it first (gzip, .gz, is read as it is); nothing in it was read",
      "PT1H.json.xz":
        "1 (file) an xz archive is not read; decompress it first (gzip, .gz, is read as it is); nothing in it was read",
      "rows.parquet":
        "1 (file) a Parquet file (Event Hubs Capture's other format) is not read; capture in Avro, or export the rows as JSON or CSV; nothing in it was read",
    });
    expect(run.result.input.rejected).toBe(5);
  });
});
