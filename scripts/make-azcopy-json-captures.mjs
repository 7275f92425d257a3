#!/usr/bin/env node
// `npm run corpus:azcopy-json`: AzCopy's `--output-type json` for an upload with a container SAS that
// expired an hour ago, against Azurite, from today's AzCopy (10.32.2) and the older one on the Go Storage
// SDK (10.14.1), both from npm. What each prints on stdout is written to test/doctor/captures/azcopy-json/
// (test/doctor/azcopy-json-output.test.ts reads them). Needs the build (npm run build).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { startAzurite, AZURITE_ACCOUNT, AZURITE_KEY } = await import(
  join(root, "dist", "src", "local", "azurite.js")
);
const OUT = join(root, "test", "doctor", "captures", "azcopy-json");
const HOUR = 3_600_000;

function fetchAzCopy(version) {
  const dir = mkdtempSync(join(tmpdir(), "azcopy-"));
  const install = spawnSync(
    "npm",
    ["install", "--no-save", "--prefix", dir, `@azure-tools/azcopy-linux@${version}`],
    {
      encoding: "utf8",
    },
  );
  if (install.status !== 0) throw new Error(`npm could not fetch AzCopy ${version}: ${install.stderr}`);
  const exe = join(dir, "node_modules", "@azure-tools", "azcopy-linux", "dist", "bin", "azcopy_linux_amd64");
  chmodSync(exe, 0o755);
  return { exe, cleanUp: () => rmSync(dir, { recursive: true, force: true }) };
}

const azurite = await startAzurite();
const scratch = mkdtempSync(join(tmpdir(), "azcopy-json-"));
try {
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const container = new BlobServiceClient(azurite.blobEndpoint, credential).getContainerClient("reports");
  await container.createIfNotExists();
  const now = Date.now();
  const sas = generateBlobSASQueryParameters(
    {
      containerName: "reports",
      permissions: ContainerSASPermissions.parse("rl"),
      startsOn: new Date(now - 3 * HOUR),
      expiresOn: new Date(now - HOUR),
    },
    credential,
  ).toString();
  const file = join(scratch, "q4.csv");
  writeFileSync(file, "a,b\n");
  for (const [version, name] of [
    ["10.32.2", "azcopy-10.32-blob-sas-expired.txt"],
    ["10.14.1", "azcopy-10.14-blob-sas-expired.txt"],
  ]) {
    const azcopy = fetchAzCopy(version);
    try {
      const run = spawnSync(
        azcopy.exe,
        [
          "copy",
          file,
          `${container.url}/2026/q4.csv?${sas}`,
          "--output-type",
          "json",
          "--from-to",
          "LocalBlob",
        ],
        {
          encoding: "utf8",
          timeout: 120_000,
          env: { ...process.env, AZCOPY_LOG_LOCATION: scratch, AZCOPY_JOB_PLAN_LOCATION: scratch },
        },
      );
      if (!/"MessageType":"EndOfJob"/.test(run.stdout))
        throw new Error(`AzCopy ${version} ended no job: ${run.stdout}${run.stderr}`);
      writeFileSync(join(OUT, name), run.stdout);
      process.stderr.write(`corpus:azcopy-json: wrote ${name}\n`);
    } finally {
      azcopy.cleanUp();
    }
  }
} finally {
  await azurite.stop();
  rmSync(scratch, { recursive: true, force: true });
}
