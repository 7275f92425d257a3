/**
 * The doctor on what the real Azure SDK for Python and the real Azure CLI print, run now against
 * Azurite (Debian's python3-azure-storage and azure-cli, installed by `npm run setup`): each failing
 * call's log, as the user would paste it, gets the cause the call was broken with, and no signature or
 * key comes out. The committed transcripts (transcript-captures.test.ts) pin one run; this one holds
 * the readers to the tools as installed.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintToken, tokenClaims } from "../../scripts/make-doctor-corpus.js";
import {
  azTranscript,
  certificateArgs,
  pythonHttpClientTranscript,
  pythonTranscript,
  storyBlobSas,
} from "../../scripts/make-transcript-captures.js";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from "../../src/local/azurite.js";
import { writeTemp } from "../collect/helpers.js";
import { runCli } from "./cli.js";
import { useStoryAzurite } from "./story-azurite.js";

const HOUR = 3_600_000;
const WRONG_KEY = Buffer.from("a key the account never had: live test").toString("base64");

describe("the real Python SDK and az CLI against Azurite", () => {
  const story = useStoryAzurite();

  async function explain(
    log: string,
  ): Promise<{ report: { firstProblem?: { id: string }; verdict: { decision: string } }; out: string }> {
    const path = await writeTemp("captured.log", log);
    const run = await runCli(["explain", "--request", path, "--format", "json"]);
    expect(run.code, run.stderr).toBe(0);
    return { report: JSON.parse(run.stdout), out: run.stdout };
  }

  const cases = [
    {
      story: "an expired SAS read",
      write: false,
      permissions: "r",
      from: -3 * HOUR,
      to: -HOUR,
      key: AZURITE_KEY,
      expect: ["sas", "sas-expired"],
    },
    {
      story: "a read-only SAS used to write",
      write: true,
      permissions: "r",
      from: -HOUR,
      to: HOUR,
      key: AZURITE_KEY,
      expect: ["sas", "sas-permission-mismatch"],
    },
    {
      story: "a SAS signed with another key",
      write: false,
      permissions: "r",
      from: -HOUR,
      to: HOUR,
      key: WRONG_KEY,
      expect: ["sas", "sas-signature-rejected"],
    },
  ] as const;

  for (const c of cases) {
    it(`reads the Python SDK's log, az --debug and http.client's debugging for ${c.story}`, async () => {
      const query = storyBlobSas(c.permissions, Date.now() + c.from, Date.now() + c.to, c.key);
      const sig = new URLSearchParams(query).get("sig")!;
      const url = `${story().blobUrl}?${query}`;
      for (const log of [
        pythonTranscript(url, c.write, "basic"),
        pythonTranscript(url, c.write, "asctime"),
        azTranscript(["--blob-url", url], c.write),
        pythonHttpClientTranscript(url, c.write),
      ]) {
        const { report, out } = await explain(log);
        expect([report.verdict.decision, report.firstProblem?.id]).toEqual(c.expect);
        for (const form of [sig, encodeURIComponent(sig)]) expect(out).not.toContain(form);
      }
    }, 120_000);
  }

  it("reads the Python SDK's log of tokens the emulator refuses, the token hidden by the SDK", async () => {
    const dir = mkdtempSync(join(tmpdir(), "live-oauth-"));
    const oauth = await startAzurite({ extraArgs: ["--oauth", "basic", ...certificateArgs(dir)] });
    try {
      const url = `${oauth.blobEndpoint.replace(/^http:/, "https:")}/reports/2026/q3.csv`;
      for (const [token, said] of [
        [mintToken(tokenClaims("v1", { aud: "https://management.azure.com" })), "https://storage.azure.com"],
        [mintToken(tokenClaims("v1", { expMin: -10, nbfMin: -70 })), "acquire a new one"],
      ] as const) {
        const log = pythonTranscript(url, false, "asctime", `bearer:${token}`);
        const { report, out } = await explain(log);
        expect([report.verdict.decision, report.firstProblem?.id]).toEqual([
          "authentication",
          "bearer-rejected-by-server",
        ]);
        expect(out).toContain(said);
        expect(out).not.toContain(token.split(".")[2]!);
      }
    } finally {
      await oauth.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("reads both for an account key the account does not have, and never prints the key", async () => {
    const connection = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${WRONG_KEY};BlobEndpoint=${story().azurite.blobEndpoint}`;
    for (const log of [
      pythonTranscript(story().blobUrl, false, "asctime", connection),
      azTranscript(["--connection-string", connection, "-c", "reports", "-n", "2026/q3.csv"], false),
    ]) {
      const { report, out } = await explain(log);
      expect([report.verdict.decision, report.firstProblem?.id]).toEqual([
        "authentication",
        "sharedkey-signature-rejected",
      ]);
      expect(out).not.toContain(WRONG_KEY);
    }
  }, 120_000);
});
