import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { NOT_HANDLED } from "../../src/collect/record-location.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { skimSuccessRow, successRowSkim } from "../../src/collect/skim/json-lines-skim.js";
import { SKIM_SHARED_WASM_BASE64, SKIM_WASM_BASE64 } from "../../src/collect/skim/skim-wasm.js";
import { leanStorageRequestFromJsonBytes } from "../../src/collect/storage-records.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { archiveLine } from "./helpers.js";

/**
 * The WebAssembly half of the success-row skim (src/collect/skim/): the committed module is what its
 * source compiles to, and reading whole runs (windows, a full intern table) gives what reading each
 * line alone gives. Line by line agreement with the full reader is json-lines-skim.test.ts.
 */

const root = join(import.meta.dirname, "..", "..");

interface Compiler {
  compileSkim(root: string, options?: { shared: boolean }): Promise<Buffer>;
}

function fullReading(line: string): StorageRequest | undefined {
  const bytes = Buffer.from(line, "latin1");
  const r = leanStorageRequestFromJsonBytes(
    bytes,
    0,
    bytes.length,
    line,
    { file: "t", line: 1 },
    new RejectionCollector(5),
  );
  return r === NOT_HANDLED ? undefined : r;
}

describe("the success-row skim in WebAssembly", () => {
  it("is committed as what assembly/skim.ts compiles to (npm run build:wasm)", async () => {
    const compiler = (await import(
      pathToFileURL(join(root, "scripts", "skim-wasm-compile.mjs")).href
    )) as Compiler;
    const wasm = await compiler.compileSkim(root);
    expect(Buffer.from(SKIM_WASM_BASE64, "base64").equals(wasm)).toBe(true);
    const shared = await compiler.compileSkim(root, { shared: true });
    expect(Buffer.from(SKIM_SHARED_WASM_BASE64, "base64").equals(shared)).toBe(true);
  }, 120_000);

  it("reads a run across windows and intern-table resets as it reads each line alone", () => {
    // Long, distinct user agents fill the table's text space every few thousand rows; every 7th row is
    // a 403, which the skim leaves to the full reader.
    const lines = Array.from({ length: 24_000 }, (_, i) =>
      archiveLine({
        time: `2024-05-01T${String(10 + (i % 12)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:07.${i}Z`,
        statusCode: i % 7 === 0 ? 403 : 200,
        statusText: i % 7 === 0 ? "AuthorizationFailure" : "Success",
        properties: {
          accountName: "acct1",
          serviceType: "blob",
          userAgentHeader: `azsdk-js-storage-blob/12.${i} (NODE-VERSION v22.1.0; Linux) ${"x".repeat(300)}`,
        },
      }),
    );
    const run = Buffer.from(lines.join("\r\n"), "latin1");
    const skim = successRowSkim();
    const resetsBefore = skim.resets;
    const out: StorageRequest[] = [];
    const declined: number[] = [];
    const count = skim.run(run, 0, run.length, 1 << 20, out, (from, stop, index) => {
      expect(run.toString("latin1", from, stop)).toBe(lines[index]);
      declined.push(index);
    });
    expect(count).toBe(lines.length);
    expect(run.length).toBeGreaterThan(4 << 20);
    expect(skim.resets).toBeGreaterThan(resetsBefore);
    expect(declined).toEqual(lines.flatMap((_, i) => (i % 7 === 0 ? [i] : [])));
    const taken = lines.filter((_, i) => i % 7 !== 0);
    expect(out.length).toBe(taken.length);
    taken.forEach((line, k) => {
      expect(out[k]).toEqual(skimSuccessRow(line));
      expect(out[k]).toEqual(fullReading(line));
    });
  });

  it("leaves to the full reader a line whose values an empty intern table could not hold", () => {
    // 30 bytes under MAX_RECORD_BYTES, over the module's 1 MiB of text less its margin: read by the full
    // reader, not scanned again and again for room.
    const line = archiveLine({ statusCode: 200 });
    const withAgent = (userAgentHeader: string) =>
      archiveLine({
        statusCode: 200,
        properties: { accountName: "acct1", serviceType: "blob", userAgentHeader },
      });
    const big = withAgent("u".repeat((1 << 20) - 30 - withAgent("").length));
    expect(big.length).toBe((1 << 20) - 30);
    const run = Buffer.from([line, big, line].join("\n"), "latin1");
    const out: StorageRequest[] = [];
    const declined: number[] = [];
    const count = successRowSkim().run(run, 0, run.length, 1 << 20, out, (_f, _s, index) =>
      declined.push(index),
    );
    expect(count).toBe(3);
    expect(declined).toEqual([1]);
    expect(fullReading(big)?.userAgent?.length).toBe(big.length - withAgent("").length);
    expect(out).toEqual([fullReading(line), fullReading(line)]);
  });

  it("tells which declined lines it saw to be all ASCII, and which of those are 401/403s", () => {
    // 401/403s (declined whatever they hold), one with a blob name past ASCII, one with a byte past ASCII
    // only in its last 16 (the block the line's end is in), a line of a byte order mark, a success row
    // whose user agent is past ASCII and one whose user agent holds an escaped quote (both declined for
    // it), and a 401 whose status is a string.
    const row = (statusCode: number | string, properties: Record<string, string>) =>
      archiveLine({ statusCode, properties: { accountName: "acct1", serviceType: "blob", ...properties } });
    const failure = (objectKey: string) => row(403, { objectKey });
    const lines = [
      failure("/acct1/c/plain.txt"),
      failure("/acct1/c/café.txt"),
      failure("/acct1/c/a.txt").replace(/}$/, ',"x":"é"}'),
      "\ufeff" + failure("/acct1/c/bom.txt"),
      row(200, { userAgentHeader: "agënt" }),
      row(200, { userAgentHeader: 'say "hi"' }),
      row("401", { objectKey: "/acct1/c/s.txt" }),
      failure("/acct1/c/" + "b".repeat(100)),
    ];
    const run = Buffer.from(lines.join("\n"), "utf8");
    const flags: string[] = [];
    successRowSkim().run(run, 0, run.length, 1 << 20, [], (_f, _s, index, ascii, authFailure) => {
      flags[index] = `${ascii ? "ascii" : "-"} ${authFailure ? "401/403" : "-"}`;
    });
    expect(flags).toEqual([
      "ascii 401/403",
      "- -",
      "- -",
      "- -",
      "- -",
      "ascii -",
      "ascii 401/403",
      "ascii 401/403",
    ]);
  });

  it("declines, unread, a line longer than a window and goes on with the next", () => {
    const line = archiveLine({ statusCode: 200 });
    const long = archiveLine({
      statusCode: 200,
      uri: "https://acct1.blob.core.windows.net/c/" + "a".repeat(3 << 20),
    });
    const run = Buffer.from([line, long, line].join("\n"), "latin1");
    const out: StorageRequest[] = [];
    const declined: Array<[number, number, number]> = [];
    const count = successRowSkim().run(run, 0, run.length, 1 << 20, out, (from, stop, index) =>
      declined.push([from, stop, index]),
    );
    expect(count).toBe(3);
    expect(declined).toEqual([[line.length + 1, line.length + 1 + long.length, 1]]);
    expect(out).toEqual([fullReading(line), fullReading(line)]);
  });
});
