/**
 * `npm run corpus:curl`: real `curl -v` transcripts of failing Storage requests, for the doctor's curl
 * reader (test/doctor/curl-captures.test.ts). It starts Azurite (`--disableTelemetry`, free ports),
 * writes a blob with the real SDK, breaks a SAS the way people do (expired, missing a permission, signed
 * with another key, cut off by a shell), runs the machine's `curl -v` on each, and writes what curl
 * printed (stderr and stdout, as a terminal shows them) to test/doctor/captures/curl/<name>.txt, with
 * index.json saying what each one is and what the doctor must answer. Azurite's port differs per run,
 * so the transcripts are made once and committed; this script remakes them.
 */
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from "../src/local/azurite.js";

interface CurlCapture {
  name: string;
  story: string;
  expect: { decision: string; firstProblem: string };
  /** Values that must never appear in the doctor's output. */
  secrets: string[];
}

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
const DIR = join(ROOT, "test", "doctor", "captures", "curl");
const HOUR = 3_600_000;

async function main(): Promise<void> {
  const azurite = await startAzurite();
  try {
    const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
    const service = new BlobServiceClient(azurite.blobEndpoint, credential);
    const container = service.getContainerClient("reports");
    await container.create();
    const blob = container.getBlockBlobClient("2026/q3.csv");
    await blob.upload("a,b\n1,2\n", 8);
    const now = Date.now();
    const sas = (o: { permissions: string; startsOn: number; expiresOn: number }, key = credential) =>
      generateBlobSASQueryParameters(
        {
          containerName: "reports",
          blobName: "2026/q3.csv",
          permissions: BlobSASPermissions.parse(o.permissions),
          startsOn: new Date(o.startsOn),
          expiresOn: new Date(o.expiresOn),
          version: "2023-11-03",
        },
        key,
      ).toString();
    const otherKey = new StorageSharedKeyCredential(
      AZURITE_ACCOUNT,
      Buffer.from("a key this account never had: curl captures").toString("base64"),
    );
    const cases: Array<CurlCapture & { args: string[]; sas: string }> = [];
    const add = (c: CurlCapture, query: string, args: string[] = []) =>
      cases.push({
        ...c,
        sas: query,
        args,
        secrets: [...c.secrets, new URLSearchParams(query).get("sig") ?? ""],
      });
    add(
      {
        name: "blob-sas-expired",
        story: "A service SAS that expired an hour ago, read with curl.",
        expect: { decision: "sas", firstProblem: "sas-expired" },
        secrets: [],
      },
      sas({ permissions: "r", startsOn: now - 3 * HOUR, expiresOn: now - HOUR }),
    );
    add(
      {
        name: "blob-sas-missing-permission",
        story: "A read-only service SAS used to overwrite the blob (curl -X PUT).",
        expect: { decision: "sas", firstProblem: "sas-permission-mismatch" },
        secrets: [],
      },
      sas({ permissions: "r", startsOn: now - HOUR, expiresOn: now + HOUR }),
      ["-X", "PUT", "-H", "x-ms-blob-type: BlockBlob", "--data-binary", "a,b"],
    );
    add(
      {
        name: "blob-sas-wrong-key",
        story: "A service SAS signed with a key the account does not have (rotated, or another account's).",
        expect: { decision: "sas", firstProblem: "sas-signature-rejected" },
        secrets: [],
      },
      sas({ permissions: "r", startsOn: now - HOUR, expiresOn: now + HOUR }, otherKey),
    );
    mkdirSync(DIR, { recursive: true });
    const index: CurlCapture[] = [];
    for (const c of cases) {
      const url = `${blob.url}?${c.sas}`;
      let transcript: string;
      try {
        // -v to stderr, the body to stdout, both into one text as a terminal shows them.
        transcript = execFileSync("sh", ["-c", 'curl -v -sS "$@" 2>&1', "curl", ...c.args, url], {
          encoding: "utf8",
        });
      } catch (err) {
        transcript = String((err as { stdout?: string }).stdout ?? "");
      }
      writeFileSync(join(DIR, `${c.name}.txt`), transcript);
      index.push({ name: c.name, story: c.story, expect: c.expect, secrets: c.secrets.filter(Boolean) });
    }
    writeFileSync(join(DIR, "index.json"), JSON.stringify(index, null, 2) + "\n");
    process.stderr.write(`corpus:curl: wrote ${index.length} transcripts to ${DIR}\n`);
  } finally {
    await azurite.stop();
  }
}

await main();
