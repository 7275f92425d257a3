import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { parseRequestCapture } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { expectReadAsSent, READ_ONLY_SAS as SAS, useRecordingServer } from "./recording-server.js";

/**
 * A browser's "Copy as fetch" as a request capture. Each call is also run with Node's own fetch against
 * a local server: every header and the body the doctor reads from the text must be what arrived.
 */

const server = useRecordingServer();

const CALLS: Record<string, (base: string) => string> = {
  "Chrome, Copy as fetch": (base) => `fetch("${base}/uploads/photo.jpg?${SAS}", {
  "headers": {
    "accept": "*/*",
    "accept-language": "en-US,en;q=0.9",
    "content-type": "image/jpeg",
    "x-ms-blob-type": "BlockBlob",
    "x-ms-version": "2023-11-03"
  },
  "referrerPolicy": "strict-origin-when-cross-origin",
  "body": "line one\\nline \\"two\\"",
  "method": "PUT",
  "mode": "cors",
  "credentials": "omit"
});`,
  "Firefox, Copy as Fetch": (base) => `await fetch("${base}/uploads/photo.jpg?${SAS}", {
    "credentials": "omit",
    "headers": {
        "Accept": "*/*",
        "Content-Type": "image/jpeg",
        "x-ms-blob-type": "BlockBlob",
        "x-ms-version": "2023-11-03"
    },
    "body": "hello",
    "method": "PUT",
    "mode": "cors"
});`,
  "a GET with no options": (base) => `fetch("${base}/c/b.txt?${SAS}");`,
};

describe("a fetch call as the request", () => {
  for (const [name, call] of Object.entries(CALLS)) {
    it(`${name}: what the doctor reads is what fetch sends`, async () => {
      const text = call(server().base);
      const got = await server().sentBy(async () => {
        // The call as the browser copied it, its answer awaited (Chrome's copy has no `await`).
        const answer = (await runInNewContext(`(async () => await (${text.replace(/;\s*$/, "")}))()`, {
          fetch,
        })) as Response;
        await answer.text();
      });
      const read = parseRequestCapture(text, "fetch.js");
      expect(read.format).toBe("fetch-call");
      expectReadAsSent(read.request, got);
    });
  }

  it("is diagnosed: a read-only SAS used to write", () => {
    const text = CALLS["Chrome, Copy as fetch"]!("https://stcontoso01.blob.core.windows.net");
    const result = explainCapture(text, undefined, {});
    expect(result.primary?.firstProblem?.id).toBe("sas-permission-mismatch");
    expect(JSON.stringify(result)).not.toContain("c2lnbmF0dXJl");
  });

  it("a call not as browsers copy it names what is expected", () => {
    expect(() => parseRequestCapture("fetch(url, opts)", "f.js")).toThrow(/f\.js: .*double-quoted URL/);
    expect(() =>
      parseRequestCapture('fetch("https://a.blob.core.windows.net/c", {headers: {}})', "f.js"),
    ).toThrow(/f\.js: the fetch options are not JSON/);
  });
});
