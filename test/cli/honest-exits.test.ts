import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { EXIT_STATE_STORE, EXIT_USAGE } from "../../src/cli/command.js";
import { startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import { startReceiver, type Receiver } from "../timer/receiver.js";
import { captureIo } from "./io.js";

/**
 * Exit statuses and headlines that say what happened: nothing could be read, the data is outside the
 * window (and where it is), the state store is down (named, its own exit status).
 */
let dir: string;
let rejectedOnly: string;
let receiver: Receiver;
const SAMPLES = join(import.meta.dirname, "..", "..", "samples", "logs");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "triage-exits-"));
  rejectedOnly = join(dir, "bad.ndjson");
  await writeFile(
    rejectedOnly,
    [
      JSON.stringify({
        TimeGenerated: "yesterday",
        OperationName: "GetBlob",
        StatusCode: 403,
        AccountName: "a",
      }),
      JSON.stringify({ OperationName: "GetBlob", StatusCode: 403 }),
      JSON.stringify({
        TimeGenerated: "2026-11-20T09:00:00Z",
        OperationName: "GetBlob",
        StatusCode: "teapot",
      }),
    ].join("\n") + "\n",
  );
  receiver = await startReceiver(0, "/hook");
});
afterAll(async () => {
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe("analyze", () => {
  it("every record rejected: exit 2, a headline saying nothing could be read, no window, the rejections listed", async () => {
    const r = await cli("analyze", "--logs", rejectedOnly);
    expect(r.code).toBe(EXIT_USAGE);
    const lines = r.out.split("\n");
    expect(lines[0]).toBe("Storage auth triage: nothing could be read");
    expect(r.out).toContain("Nothing could be read: all 3 record(s) were rejected");
    expect(r.out).not.toContain("No 401/403 failures in this window");
    expect(r.out).toContain("bad.ndjson:1  TimeGenerated");
    expect(r.err).toContain("nothing could be read: all 3 record(s) were rejected");
    const json = await cli("analyze", "--logs", rejectedOnly, "--format", "json");
    expect(json.code).toBe(EXIT_USAGE);
    expect(JSON.parse(json.out).input).toMatchObject({ rows: 0, rejected: 3 });
  });

  it("every row outside --from/--to: exit 0, and the report says where the data is and how to reach it", async () => {
    // The samples' exports are read and their rows counted; the archive tree's day folders (2026-11-20,
    // in their path) are not even listed, and their day spans the data.
    const r = await cli("analyze", "--logs", SAMPLES, "--from", "2026-11-21T00:00:00Z");
    expect(r.code).toBe(0);
    expect(r.out).toContain("All 916 row(s) fall outside the window 2026-11-21T00:00:00.000Z");
    expect(r.out).toContain("and 11 archive day folder(s) whose path names a time outside it were not read");
    expect(r.out).toContain("the data spans 2026-11-20T00:00:00.000Z → 2026-11-21T00:00:00.000Z");
    expect(r.out).toContain("--from 2026-11-20T00:00:00.000Z --to 2026-11-21T00:00:00.000Z");
    const json = JSON.parse(
      (await cli("analyze", "--logs", SAMPLES, "--to", "2026-11-19", "--format", "json")).out,
    );
    expect(json.input.dataSpan).toEqual({ from: "2026-11-20T00:00:00.000Z", to: "2026-11-21T00:00:00.000Z" });
    // The window it names reaches every row, as leaving --from/--to out does.
    const reached = JSON.parse(
      (
        await cli(
          "analyze",
          ...["--logs", SAMPLES, "--from", "2026-11-20T00:00:00.000Z", "--to", "2026-11-21T00:00:00.000Z"],
          ...["--format", "json"],
        )
      ).out,
    );
    expect(reached.input).toMatchObject({ rows: 1961, outsideWindow: 0 });
    expect(reached.input.dayFoldersOutsideWindow).toBeUndefined();
    expect(reached.input.filesOutsideWindow).toBeUndefined();
  });
});

describe("run-once", () => {
  it("on the bundled samples without --now: sends nothing, and says where the data is and which --now reaches it", async () => {
    const r = await cli("run-once", "--logs", SAMPLES, "--webhook", receiver.url);
    expect(r.code).toBe(0);
    expect(receiver.received).toHaveLength(0);
    expect(r.err).toMatch(
      /^warn: All 1961 row\(s\) fall outside the window .*the data spans 2026-11-20T09:00:02\.390Z → 2026-11-20T09:59:59\.645Z: nothing was analysed or sent; replay it .*--now 2026-11-20T09:59:59\.645Z/m,
    );
  });

  it("every record rejected: exit 2 and an error line", async () => {
    const r = await cli("run-once", "--logs", rejectedOnly, "--webhook", receiver.url, "--json");
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain("error: Nothing could be read: all 3 record(s) were rejected");
    expect(JSON.parse(r.out)).toMatchObject({ rejected: 3, notificationErrors: [] });
  });

  it("a state-store outage names the store and exits 3, not 1 (pending)", async () => {
    // Azurite's own connection string, with nothing listening behind it any more.
    const azurite: AzuriteInstance = await startAzurite();
    const conn = azurite.connectionString;
    const endpoint = azurite.tableEndpoint;
    await azurite.stop();
    const r = await cli(
      "run-once",
      "--logs",
      SAMPLES,
      "--webhook",
      receiver.url,
      "--now",
      "2026-11-20T09:30:00Z",
      "--state",
      conn,
    );
    expect(r.code).toBe(EXIT_STATE_STORE);
    expect(r.err).toContain(`error: state store unavailable: Azure Table storage at ${endpoint}`);
    expect(r.err).not.toMatch(/AccountKey=[^R]/);
    expect(receiver.received).toHaveLength(0);
  });
});
