import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { detectFormat, FileRecordParser } from "../../src/collect/formats.js";
import { storageRequestFromObject } from "../../src/collect/storage-records.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import {
  activityEventsToArchiveJsonLines,
  storageRequestsToLogAnalyticsJsonArray,
  storageRequestsToLogsApiJson,
} from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { gz, readActivity, readStorage, tempDir, writeTemp } from "./helpers.js";

/**
 * Pretty-printed JSON as people save it (`jq .` of a PT1H.json, a record copied from a portal, an
 * indented array or Logs API response): read to exactly the rows of the compact form, and where it is
 * broken, rejected naming the file and the line the record starts on.
 */

const ARCHIVE_ROOT = "samples/logs/archive";

async function findPt1h(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await findPt1h(full)));
    else if (e.name === "PT1H.json") out.push(full);
  }
  return out.sort();
}

/** `jq .` of a JSON Lines file: every record indented over many lines, one after another. */
function jqPretty(jsonLines: string, eol = "\n"): string {
  return jsonLines
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.stringify(JSON.parse(l), null, 2).replaceAll("\n", eol) + eol)
    .join("");
}

/** Line where each record of a pretty file starts (a line that is exactly `{`). */
function recordStartLines(pretty: string): number[] {
  return pretty.split("\n").flatMap((l, k) => (l.replace(/\r$/, "") === "{" ? [k + 1] : []));
}

let archive: string;
let archiveRecords: StorageRequest[];

beforeAll(async () => {
  const files = await findPt1h(ARCHIVE_ROOT);
  expect(files.length).toBeGreaterThan(0);
  // The largest real sample: many records of every kind the archive has.
  const texts = await Promise.all(files.map((f) => readFile(f, "utf8")));
  archive = texts.reduce((a, b) => (b.length > a.length ? b : a));
  const { records, rejections } = await readStorage([await writeTemp("PT1H.json", archive)]);
  expect(rejections.count).toBe(0);
  archiveRecords = records;
  expect(archiveRecords.length).toBeGreaterThan(50);
});

describe("pretty-printed archive records (PT1H.json through jq .)", () => {
  it("several records one after another are read to the compact form's rows", async () => {
    const pretty = jqPretty(archive);
    const { records, rejections } = await readStorage([await writeTemp("PT1H.pretty.json", pretty)]);
    expect(rejections.samples).toEqual([]);
    expect(records).toEqual(archiveRecords);
  });

  it("one record on its own, with CRLF, a BOM, gzipped, or compact objects run together on one line", async () => {
    const first = archive.slice(0, archive.indexOf("\n") + 1);
    const forms: Record<string, string | Buffer> = {
      "one.json": jqPretty(first),
      "one-no-eol.json": jqPretty(first).trimEnd(),
      "crlf.json": jqPretty(archive, "\r\n"),
      "bom.json": "\ufeff" + jqPretty(archive),
      "pretty.json.gz": gz(jqPretty(archive)),
      "run-together.json": archive.replaceAll("\n", ""),
      "space-separated.json": archive.replaceAll("\n", " ") + "\n",
    };
    for (const [name, content] of Object.entries(forms)) {
      const { records, rejections } = await readStorage([await writeTemp(name, content)]);
      expect(rejections.samples, name).toEqual([]);
      expect(records, name).toEqual(name.startsWith("one") ? archiveRecords.slice(0, 1) : archiveRecords);
    }
  });

  it("a broken record is rejected at the line it starts on, and the records after it are read", async () => {
    const pretty = jqPretty(archive);
    const starts = recordStartLines(pretty);
    const lines = pretty.split("\n");
    // Record 3: a key without a value (still balanced, so the scanner goes on); record 5: not an object.
    lines[starts[2]!] = '  "statusCode": ,';
    const broken = lines
      .join("\n")
      .replace(JSON.stringify(JSON.parse(archive.split("\n")[4]!), null, 2), "42");
    const file = await writeTemp("PT1H.json", broken);
    const { records, rejections } = await readStorage([file]);
    expect(records).toEqual(archiveRecords.filter((_, k) => k !== 2 && k !== 4));
    expect(rejections.samples).toEqual([
      { file, line: starts[2], field: "(record)", reason: expect.stringMatching(/^malformed JSON/) },
      { file, line: starts[4], field: "(record)", reason: "not a JSON object" },
    ]);
  });

  it("a record with a bad field is rejected with the field, at its first line", async () => {
    const pretty = jqPretty(archive).replace('"time": "', '"time": "not a time ');
    const file = await writeTemp("PT1H.json", pretty);
    const { records, rejections } = await readStorage([file]);
    expect(records).toEqual(archiveRecords.slice(1));
    expect(rejections.samples).toEqual([{ file, line: 1, field: "time", reason: expect.any(String) }]);
  });

  it("a truncated file keeps the complete records and says where the cut record starts", async () => {
    const pretty = jqPretty(archive);
    const starts = recordStartLines(pretty);
    const cut = pretty
      .split("\n")
      .slice(0, starts[3]! + 4)
      .join("\n");
    const file = await writeTemp("PT1H.json", cut);
    const { records, rejections } = await readStorage([file]);
    expect(records).toEqual(archiveRecords.slice(0, 3));
    expect(rejections.samples).toEqual([
      {
        file,
        line: starts[3],
        field: "(file)",
        reason: expect.stringMatching(/ends inside a value \(truncated\); the rest of the file was skipped/),
      },
    ]);
  });

  it("objects separated by commas (an array without brackets) are refused once, naming the line", async () => {
    const pretty = jqPretty(archive.split("\n").slice(0, 3).join("\n"));
    const starts = recordStartLines(pretty);
    const commas = pretty.replace(/}\n{/g, "},\n{");
    const file = await writeTemp("PT1H.json", commas);
    const { records, rejections } = await readStorage([file]);
    expect(records).toEqual(archiveRecords.slice(0, 1));
    expect(rejections.samples).toEqual([
      {
        file,
        line: starts[1]! - 1,
        field: "(file)",
        reason: expect.stringMatching(
          /unexpected ',' .*rest of the file was skipped \(expected JSON objects one after another: .*jq -c \.\)$/,
        ),
      },
    ]);
  });

  it("reads the same rows and lines whatever the chunk boundaries", () => {
    const pretty = jqPretty(archive);
    const starts = recordStartLines(pretty);
    const lines = pretty.split("\n");
    lines[starts[7]!] = '  "statusCode": ,';
    const bytes = Buffer.from(lines.join("\n"));
    for (const size of [1, 7, 64, 4096]) {
      const rejections = new RejectionCollector(10);
      const parser = new FileRecordParser("f.json", { fromObject: storageRequestFromObject }, rejections);
      const out: StorageRequest[] = [];
      for (let k = 0; k < bytes.length; k += size) {
        parser.push(bytes.subarray(k, k + size));
        out.push(...(parser.batch() ?? []));
      }
      parser.end();
      out.push(...(parser.batch() ?? []));
      expect(parser.format, `chunk ${size}`).toBe("json-objects");
      expect(out, `chunk ${size}`).toEqual(archiveRecords.filter((_, k) => k !== 7));
      expect(
        rejections.samples.map((r) => r.line),
        `chunk ${size}`,
      ).toEqual([starts[7]]);
    }
  });
});

describe("the form is told by the first line", () => {
  const form = (s: string) => detectFormat(Buffer.from(s), true);
  it("a whole object on the first line is JSON Lines; an object spread over lines is JSON objects", () => {
    expect(form('{"time":"x"}\n{"time":"y"}\n')).toBe("json-lines");
    expect(form('{"time":"x"}  \r\n')).toBe("json-lines");
    expect(form('{"time":"x"}')).toBe("json-lines");
    expect(form('{\n  "time": "x"\n}\n')).toBe("json-objects");
    expect(form('{ "time": "x",\n  "operationName": "GetBlob" }\n')).toBe("json-objects");
    expect(form('{"time":"x"}{"time":"y"}')).toBe("json-lines");
    expect(form('{\n  "tables": []\n}')).toBe("logs-api");
    expect(form("[\n  {\n")).toBe("json-array");
  });
});

describe("pretty-printed Log Analytics exports read to the compact form's rows", () => {
  const data = generateAll({ seed: 5 });

  it("a JSON array of rows", async () => {
    const compact = storageRequestsToLogAnalyticsJsonArray(data.requests, { pretty: false });
    const pretty = JSON.stringify(JSON.parse(compact), null, 2);
    const a = await readStorage([await writeTemp("compact.json", compact)]);
    const b = await readStorage([await writeTemp("pretty.json", pretty)]);
    expect(a.rejections.count + b.rejections.count).toBe(0);
    expect(b.records).toHaveLength(data.requests.length);
    expect(b.records).toEqual(a.records);
  });

  it("a Logs API response {tables:[…]}", async () => {
    const compact = storageRequestsToLogsApiJson(data.requests);
    const pretty = JSON.stringify(JSON.parse(compact), null, 4);
    const a = await readStorage([await writeTemp("compact.json", compact)]);
    const b = await readStorage([await writeTemp("pretty.json", pretty)]);
    expect(a.rejections.count + b.rejections.count).toBe(0);
    expect(b.records).toHaveLength(data.requests.length);
    expect(b.records).toEqual(a.records);
  });

  it("activity: the real AzureActivity sample compacted, and archived activity records pretty-printed", async () => {
    const sample = await readFile("samples/activity/AzureActivity.json", "utf8");
    const dir = await tempDir();
    const a = await readActivity(["samples/activity/AzureActivity.json"]);
    const b = await readActivity([await writeTemp("compact.json", JSON.stringify(JSON.parse(sample)), dir)]);
    expect(a.rejections.count + b.rejections.count).toBe(0);
    expect(b.events).toEqual(a.events);
    const lines = activityEventsToArchiveJsonLines(data.activity);
    const c = await readActivity([await writeTemp("PT1H.json", lines, dir)]);
    const d = await readActivity([await writeTemp("pretty/PT1H.json", jqPretty(lines), dir)]);
    expect(c.rejections.count + d.rejections.count).toBe(0);
    expect(d.events.length).toBeGreaterThan(0);
    expect(d.events).toEqual(c.events);
  });
});
