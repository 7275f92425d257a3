import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaptureError } from "../../src/doctor/capture.js";
import { sazSessions } from "../../src/doctor/capture/fiddler-saz.js";
import { inflateRawWeb } from "../../src/doctor/capture/inflate-web.js";
import { inflateRawBounded, inflateRawNode } from "../../src/inflate-bounded.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { sharedKeyDiffFindings } from "../../src/signature/doctor-adapter.js";
import { byteDamage, damagedCopy } from "../support/byte-damage.js";
import { runCli } from "./cli.js";
import { sazOf } from "../support/fiddler-saz.js";
import { writeZip } from "../support/write-zip.js";
import { corpusExchange, expectSameDiagnosis } from "./corpus-exchange.js";

/**
 * Fiddler's session archive (.saz): a zip of raw/<n>_c.txt (the request as sent, the absolute URL on its
 * first line), raw/<n>_s.txt (the response as received) and raw/<n>_m.xml, beside [Content_Types].xml and
 * _index.htm, as Fiddler's documentation lays it out (written here by Python's zipfile, an independent
 * zip writer). The archive's failed call must get the same diagnosis as the same exchange captured as
 * JSON, its CONNECT tunnel and successful calls set aside as a HAR's are.
 */
const CAPTURES = ["blob-sas-service-expired.azure", "blob-sharedkey-xmsdate-stripped.azure"];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fiddler-saz-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = { sharedKeyDiff: sharedKeyDiffFindings };

describe("Fiddler session archives (.saz)", () => {
  it.each(CAPTURES)("diagnose the failed session of %s as the JSON capture of it is", async (name) => {
    const { text, exchange: c } = corpusExchange(name);
    const saz = join(dir, `${name}.saz`);
    writeZip(saz, sazOf(c));
    const fromJson = explainCapture(text, undefined, options);

    const { code, stdout } = await runCli(["explain", "--request", saz, "--format", "json"]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as {
      requests: Array<{ label: string; skipped?: string; report?: unknown }>;
    };
    expect(out.requests.map((r) => [r.label.split(" ")[0], r.skipped ?? "diagnosed"])).toEqual([
      ["GET", "it succeeded (200): nothing to diagnose"],
      [c.method, "diagnosed"],
    ]);
    expectSameDiagnosis(
      out.requests[1]!.report as { findings: Array<{ id: string }>; basis: unknown; response: unknown },
      fromJson.primary!,
    );
  });

  it("says what is wrong with a zip that is not a session archive, an archive of tunnels only, a cut one", async () => {
    const c = corpusExchange(CAPTURES[0]!).exchange;
    const other = join(dir, "logs.zip");
    writeZip(other, { "PT1H.json": "{}" });
    const tunnels = join(dir, "tunnels.saz");
    const all = sazOf(c);
    writeZip(tunnels, { "raw/01_c.txt": all["raw/01_c.txt"]!, "raw/01_s.txt": all["raw/01_s.txt"]! });
    const whole = join(dir, "whole.saz");
    writeZip(whole, all);
    const cut = join(dir, "cut.saz");
    writeFileSync(cut, readFileSync(whole).subarray(0, 400));
    const messages: string[] = [];
    for (const path of [other, tunnels, cut]) {
      const { code, stderr } = await runCli(["explain", "--request", path]);
      expect(code, path).toBe(2);
      messages.push(stderr.trim());
    }
    expect(messages[0]).toContain(
      `${other}: a zip archive, but not Fiddler's session archive (no raw/<n>_c.txt)`,
    );
    expect(messages[1]).toContain(`${tunnels}: the session archive holds no request but CONNECT tunnels`);
    expect(messages[2]).toContain(
      `${cut}: the zip archive is damaged (no end of central directory: was it cut short?)`,
    );
  });

  it("a damaged archive is read or refused with a reason, never a crash, with node:zlib and the browser's inflater", async () => {
    const whole = join(dir, "property.saz");
    writeZip(whole, sazOf(corpusExchange(CAPTURES[0]!).exchange));
    const bytes = readFileSync(whole);
    for (const inflateRaw of [inflateRawNode, inflateRawWeb])
      await fc.assert(
        fc.asyncProperty(byteDamage, async (d) => {
          try {
            await sazSessions(damagedCopy(bytes, d, 0.5), "x.saz", inflateRaw);
          } catch (err) {
            expect(err instanceof CaptureError, String(err)).toBe(true);
          }
        }),
        { numRuns: 500 },
      );
  });

  it("refuses an entry that inflates past 256 MB, with either inflater, without holding it", async () => {
    // 257 MB of zeros deflate to some 250 KB: what a crafted archive would hold.
    const bomb = deflateRawSync(Buffer.alloc(257 * 1024 * 1024));
    expect(inflateRawBounded(bomb)).toBe("too large");
    expect(await inflateRawWeb(bomb)).toBe("too large");
    const small = deflateRawSync(Buffer.from("GET / HTTP/1.1\r\n"));
    expect(Buffer.from((await inflateRawWeb(small)) as Uint8Array).toString()).toBe("GET / HTTP/1.1\r\n");
    const whole = join(dir, "bomb-shaped.saz");
    writeZip(whole, sazOf(corpusExchange(CAPTURES[0]!).exchange));
    await expect(sazSessions(readFileSync(whole), "bomb.saz", async () => "too large")).rejects.toThrow(
      /bomb\.saz: \S+ inflates past 256 MB; it is not read/,
    );
  });

  it("reads the same sessions with the browser's inflater as with node:zlib", async () => {
    const whole = join(dir, "both.saz");
    writeZip(whole, sazOf(corpusExchange(CAPTURES[1]!).exchange));
    const bytes = readFileSync(whole);
    const node = await sazSessions(bytes, "x.saz", inflateRawNode);
    expect(node.length).toBeGreaterThan(0);
    expect(await sazSessions(bytes, "x.saz", inflateRawWeb)).toEqual(node);
  });
});
