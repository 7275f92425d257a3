import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readStorageRequests, scanStorageRequests } from "../../src/collect/files.js";
import { detectFormat } from "../../src/collect/formats.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import {
  activityEventsToRestApiJsonArray,
  storageRequestsToArchiveJsonLines,
  storageRequestsToNdjson,
} from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { gz, readActivity, readStorage, writeTemp } from "./helpers.js";

/**
 * Azure Monitor's envelope `{"records": [...]}`, as a diagnostic setting streams Storage logs to Event
 * Hubs (each event's body, dumped one per line or saved pretty-printed): read to exactly the records of
 * the JSON Lines they wrap, and where one is broken, rejected naming the line it starts on.
 */

const ARCHIVE_ROOT = "samples/logs/archive";

async function archiveFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await archiveFiles(full)));
    else if (e.name === "PT1H.json") out.push(full);
  }
  return out.sort();
}

const objectsOf = (jsonLines: string): unknown[] =>
  jsonLines
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as unknown);

/** Events of `per` records each, one per line. */
function envelopes(records: unknown[], per: number): string {
  const lines: string[] = [];
  for (let i = 0; i < records.length; i += per)
    lines.push(JSON.stringify({ records: records.slice(i, i + per) }));
  return lines.join("\n") + "\n";
}

let archive: string;
let archiveRecords: StorageRequest[];

beforeAll(async () => {
  const texts = await Promise.all((await archiveFiles(ARCHIVE_ROOT)).map((f) => readFile(f, "utf8")));
  archive = texts.reduce((a, b) => (b.length > a.length ? b : a));
  const { records, rejections } = await readStorage([await writeTemp("PT1H.json", archive)]);
  expect(rejections.count).toBe(0);
  archiveRecords = records;
  expect(archiveRecords.length).toBeGreaterThan(50);
});

describe("list envelopes: Azure Monitor's records, Azure REST's value", () => {
  it("is told by its first key, compact or pretty-printed", () => {
    for (const head of ['{"records":[', '\uFEFF {\n  "records": [\n', '{ "records" : []}', '{"value":[{'])
      expect(detectFormat(Buffer.from(head), true)).toBe("records");
    expect(detectFormat(Buffer.from('{"recordsCount":1,"time":"x"}\n'), true)).toBe("json-lines");
  });

  it("gives the records of the archive it wraps, however it is cut and written", async () => {
    const objects = objectsOf(archive);
    const forms: Array<[string, string | Buffer]> = [
      ["one event", JSON.stringify({ records: objects })],
      ["events of 7, one per line, CRLF", envelopes(objects, 7).replaceAll("\n", "\r\n")],
      ["one event per record", envelopes(objects, 1)],
      [
        "pretty-printed, with other keys after records",
        JSON.stringify({ records: objects, id: "evt-1", partition: { id: 3 } }, null, 2),
      ],
      ["gzip-compressed events", gz(envelopes(objects, 10))],
    ];
    for (const [name, content] of forms) {
      const { records, rejections } = await readStorage([await writeTemp("eventhub.json", content)]);
      expect({ name, rejected: rejections.count }).toEqual({ name, rejected: 0 });
      expect(records).toEqual(archiveRecords);
    }
  });

  it("reads Log Analytics rows in an envelope too (a workspace's data export)", async () => {
    const { requests } = generateAll({ seed: 5 });
    const ndjson = storageRequestsToNdjson(requests.slice(0, 300));
    const direct = await readStorage([await writeTemp("rows.ndjson", ndjson)]);
    const wrapped = await readStorage([await writeTemp("export.json", envelopes(objectsOf(ndjson), 40))]);
    expect(direct.rejections.count).toBe(0);
    expect(wrapped.rejections.count).toBe(0);
    expect(wrapped.records).toEqual(direct.records);
  });

  it("gives the engine what it reads of the same JSON Lines, success rows through the skim, however written", async () => {
    // The engine's reading: lean records, and the scan's lent success rows, seen during each call.
    const read = async (path: string) => {
      const rejections = new RejectionCollector();
      const records: StorageRequest[] = [];
      for await (const r of readStorageRequests([path], { rejections, lean: true })) records.push(r);
      const fields = Object.keys(records[0]!);
      const seen = (r: StorageRequest) =>
        Object.fromEntries(fields.map((k) => [k, r[k as keyof StorageRequest]]));
      const scanned: Array<Record<string, unknown>> = [];
      let lent = 0;
      await scanStorageRequests(
        [path],
        { rejections: new RejectionCollector() },
        {
          observe: (r) => {
            if (r.constructor.name === "LentSuccessRow") lent++;
            scanned.push(seen(r));
          },
        },
      );
      return { records: records.map(seen), scanned, lent, rejected: rejections.count };
    };
    const { requests } = generateAll({ seed: 3 });
    for (const jsonLines of [
      storageRequestsToArchiveJsonLines(requests),
      storageRequestsToNdjson(requests),
    ]) {
      const objects = objectsOf(jsonLines);
      const reference = await read(await writeTemp("rows.json", jsonLines));
      expect(reference.records.length).toBeGreaterThan(1000);
      expect(reference.lent).toBeGreaterThan(reference.records.length / 2);
      const forms: Array<[string, string]> = [
        ["events of 7, one per line", envelopes(objects, 7)],
        ["one event", JSON.stringify({ records: objects })],
        ["a JSON array", JSON.stringify(objects)],
        ["pretty-printed", JSON.stringify({ records: objects }, null, 2)],
        [
          "an array pretty-printed as az writes it, CRLF",
          JSON.stringify(objects, null, 2).replaceAll("\n", "\r\n"),
        ],
      ];
      for (const [name, content] of forms) {
        const got = await read(await writeTemp("eventhub.json", content));
        expect({ name, rejected: got.rejected }).toEqual({ name, rejected: reference.rejected });
        expect(got.records).toEqual(reference.records);
        expect(got.scanned).toEqual(reference.scanned);
        // Records are skimmed as lines are, pretty-printed ones once compacted (and more often: a record
        // has no spacing around it for the skim to decline).
        expect(got.lent, name).toBeGreaterThanOrEqual(reference.lent);
      }
    }
  });

  it("reads an Azure REST list response ({value, nextLink}) of activity events as their array", async () => {
    const { activity } = generateAll({ seed: 5 });
    const array = activityEventsToRestApiJsonArray(activity);
    const page = JSON.stringify({ value: JSON.parse(array) as unknown, nextLink: null }, null, 2);
    const direct = await readActivity([await writeTemp("events.json", array)]);
    const listed = await readActivity([await writeTemp("page.json", page)]);
    expect(direct.events.length).toBeGreaterThan(0);
    expect(listed.rejections.samples).toEqual([]);
    expect(listed.events).toEqual(direct.events);
  });

  it("rejects a broken record at the line it starts on and reads the rest", async () => {
    const objects = objectsOf(archive);
    const broken = { ...(objects[1] as Record<string, unknown>) };
    delete broken["time"];
    delete broken["resourceId"];
    const text = JSON.stringify({ records: [objects[0], broken, ...objects.slice(2)] }, null, 2);
    const startOfSecond = text
      .split("\n")
      .findIndex((l, k, all) => l === "    {" && all.slice(0, k).filter((x) => x === "    {").length === 1);
    const { records, rejections } = await readStorage([await writeTemp("broken.json", text)]);
    expect(records).toHaveLength(archiveRecords.length - 1);
    expect(rejections.count).toBe(1);
    expect(rejections.samples[0]).toMatchObject({ line: startOfSecond + 1 });
    expect(rejections.samples[0]!.reason).toMatch(/^record 2 of envelope 1: /);
  });

  it("names what is wrong with an envelope that is not one, and a file cut off", async () => {
    const objects = objectsOf(archive).slice(0, 3);
    const notList = await readStorage([await writeTemp("bad.json", '{"records": {"time": "x"}}\n')]);
    expect(notList.records).toHaveLength(0);
    expect(notList.rejections.samples[0]).toMatchObject({
      line: 1,
      field: "records",
      reason: "must be a list of records",
    });
    const cut = JSON.stringify({ records: objects }).slice(0, -40);
    const truncated = await readStorage([
      await writeTemp("cut.json", `${JSON.stringify({ records: objects })}\n${cut}`),
    ]);
    expect(truncated.records).toHaveLength(5);
    expect(truncated.rejections.count).toBeGreaterThan(0);
    expect(truncated.rejections.samples.at(-1)).toMatchObject({ line: 2, field: "(file)" });
  });
});
