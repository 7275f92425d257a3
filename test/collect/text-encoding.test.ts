import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { TextEncodingError, utf8Chunks } from "../../src/collect/text-encoding.js";
import { activityEventsToLogAnalyticsJsonArray, storageRequestsToNdjson } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { gz, readActivity, readStorage, writeTemp } from "./helpers.js";

/**
 * UTF-16 files, as Windows PowerShell 5.1 writes every redirected output (`az … > rows.json`,
 * `Out-File`): read to exactly the records of the UTF-8 file, and where the UTF-16 is broken, the
 * records before the damage kept and the rest reported.
 */

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
function utf16be(text: string): Buffer {
  const le = Buffer.from(text, "utf16le");
  for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return Buffer.concat([Buffer.from([0xfe, 0xff]), le]);
}

async function collect(chunks: Buffer[]): Promise<string> {
  async function* source() {
    yield* chunks;
  }
  const out: Buffer[] = [];
  for await (const c of utf8Chunks(source())) out.push(Buffer.from(c));
  return Buffer.concat(out).toString("utf8");
}

describe("UTF-16 input files", () => {
  it("give the records of the UTF-8 file: CSV, NDJSON and gzip, little- and big-endian", async () => {
    const csv = await readFile("samples/logs/log-analytics/StorageLogs.csv", "utf8");
    const ndjson = storageRequestsToNdjson(generateAll({ seed: 9 }).requests.slice(0, 400));
    for (const [name, text] of [
      ["StorageLogs.csv", csv],
      ["rows.ndjson", ndjson],
    ] as const) {
      const utf8 = await readStorage([await writeTemp(name, text)]);
      expect(utf8.rejections.count).toBe(0);
      for (const content of [utf16le(text), utf16be(text), gz(utf16le(text))]) {
        const read = await readStorage([await writeTemp(name, content)]);
        expect(read.rejections.samples).toEqual([]);
        expect(read.records).toEqual(utf8.records);
      }
    }
  });

  it("reads an AzureActivity export in UTF-16 too", async () => {
    const json = activityEventsToLogAnalyticsJsonArray(generateAll({ seed: 9 }).activity);
    const utf8 = await readActivity([await writeTemp("AzureActivity.json", json)]);
    const utf16 = await readActivity([await writeTemp("AzureActivity.json", utf16le(json))]);
    expect(utf8.events.length).toBeGreaterThan(0);
    expect(utf16.events).toEqual(utf8.events);
  });

  it("decodes characters cut between chunks, a mark split over the first two, and leaves UTF-8 alone", async () => {
    const text = 'UserAgentHeader\n"ƒ 😀 日本 \u00e9"\n';
    const bytes = utf16le(text);
    // Every byte its own chunk: the mark, each code unit and the surrogate pair are cut.
    expect(await collect([...bytes].map((b) => Buffer.from([b])))).toBe(text);
    expect(await collect([bytes.subarray(0, 3), bytes.subarray(3)])).toBe(text);
    const utf8 = Buffer.from(text, "utf8");
    const chunks = [utf8.subarray(0, 1), utf8.subarray(1, 7), utf8.subarray(7)];
    expect(await collect(chunks)).toBe(text);
    expect(await collect([])).toBe("");
  });

  it("reports broken UTF-16 naming the file, and keeps the records before the damage", async () => {
    const ndjson = storageRequestsToNdjson(generateAll({ seed: 9 }).requests.slice(0, 50));
    const good = utf16le(ndjson);
    // An unpaired high surrogate after the records, then a line that is never read.
    const broken = Buffer.concat([
      good,
      Buffer.from([0x00, 0xd8, 0x41, 0x00]),
      Buffer.from("{}\n", "utf16le"),
    ]);
    const read = await readStorage([await writeTemp("broken.ndjson", broken)]);
    expect(read.records).toHaveLength(50);
    expect(read.rejections.samples).toEqual([
      expect.objectContaining({
        field: "(file)",
        reason: expect.stringMatching(/^not valid UTF-16LE \(.*\); records after the damage were not read$/),
      }),
    ]);
    await expect(collect([Buffer.from([0xff, 0xfe, 0x41])])).rejects.toBeInstanceOf(TextEncodingError);
  });
});
