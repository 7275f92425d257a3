import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRequestCapture, parseResponseCapture } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { renderExplainText } from "../../src/doctor/render.js";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from "../../src/local/azurite.js";
import { AZURITE_WELL_KNOWN_KEY_SHA256 } from "../../src/remedy/authentication.js";
import { sharedKeyDiffFindings } from "../../src/signature/doctor-adapter.js";
import { buildStringToSign } from "../../src/signature/index.js";
import { remedyForDoctorReport } from "../../src/remedy/from-doctor.js";

/**
 * Azurite's debug log as the whole capture: made here by the real SDK against a real Azurite started
 * with --debug, with a request that succeeds before the ones that fail.
 */

let dir: string;
let wrongKeyLog: string;
let expiredSasLog: string;

async function withAzurite(name: string, run: (endpoint: string) => Promise<void>): Promise<string> {
  const path = join(dir, `${name}.log`);
  const azurite = await startAzurite({ debugLogPath: path });
  try {
    await run(azurite.blobEndpoint);
  } finally {
    await azurite.stop();
  }
  return readFile(path, "utf8");
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "azurite-log-"));
  const good = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  wrongKeyLog = await withAzurite("wrong-key", async (endpoint) => {
    await new BlobServiceClient(endpoint, good).getContainerClient("invoices").create();
    const wrong = new StorageSharedKeyCredential(AZURITE_ACCOUNT, Buffer.alloc(64, 7).toString("base64"));
    await expect(
      new BlobServiceClient(endpoint, wrong).getContainerClient("invoices").getProperties(),
    ).rejects.toThrow();
  });
  expiredSasLog = await withAzurite("expired-sas", async (endpoint) => {
    const container = new BlobServiceClient(endpoint, good).getContainerClient("reports");
    await container.create();
    await container.getBlockBlobClient("q3.csv").upload("a,b\n", 4);
    const now = Date.now();
    const sas = generateBlobSASQueryParameters(
      {
        containerName: "reports",
        blobName: "q3.csv",
        permissions: BlobSASPermissions.parse("r"),
        startsOn: new Date(now - 2 * 3_600_000),
        expiresOn: new Date(now - 3_600_000),
      },
      good,
    ).toString();
    const res = await fetch(`${endpoint}/reports/q3.csv?${sas}`, {
      headers: { "x-ms-version": "2025-01-05" },
    });
    expect(res.status).toBe(403);
  });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Azurite's debug log as the capture", () => {
  it("reads the failed request with its port, and the emulator's string-to-sign with the answer", () => {
    const exchange = parseRequestCapture(wrongKeyLog, "azurite.log");
    expect(exchange.format).toBe("azurite-log");
    expect(exchange.request.method).toBe("GET");
    expect(exchange.request.url).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/invoices\?restype=container$/,
    );
    expect(exchange.response?.status).toBe(403);
    expect(exchange.response?.body).toContain("[STRING TO SIGN]");
  });

  it("a wrong key: the request arrived as signed, and the fix compares the client's key with the emulator's by hash", () => {
    // As `auth-triage explain` runs it: with the signature diff plugged in.
    const result = explainCapture(wrongKeyLog, undefined, { sharedKeyDiff: sharedKeyDiffFindings });
    const report = result.primary!;
    expect(report.firstProblem?.id).toBe("signature-identical");
    expect(report.emulator).toBeDefined();
    expect(report.verdict.decision).toBe("authentication");
    const remedy = remedyForDoctorReport(report)!;
    expect(remedy.kind).toBe("update-key");
    expect(remedy.commands.map((c) => c.command).join("\n")).toContain("sha256sum");
    expect(AZURITE_WELL_KNOWN_KEY_SHA256).toBe(createHash("sha256").update(AZURITE_KEY).digest("hex"));
    expect(remedy.facts.map((f) => f.value).join("\n")).toContain(AZURITE_WELL_KNOWN_KEY_SHA256);
    // The log holds the client's signature and the one Azurite computed: neither is ever shown.
    const signatures = [...wrongKeyLog.matchAll(/SharedKey devstoreaccount1:([A-Za-z0-9+/=]{40,})/g)].map(
      (m) => m[1]!,
    );
    expect(signatures.length).toBeGreaterThanOrEqual(2);
    const text = renderExplainText(result) + JSON.stringify(result) + JSON.stringify(remedy);
    for (const sig of signatures) expect(text).not.toContain(sig);
  });

  it("as --response beside another capture of the request: the answer and Azurite's string-to-sign", () => {
    const request = parseRequestCapture(wrongKeyLog, "azurite.log").request;
    const response = parseResponseCapture(wrongKeyLog, "azurite.log");
    expect(response.status).toBe(403);
    const report = explainCapture(JSON.stringify(request), wrongKeyLog, {
      sharedKeyDiff: sharedKeyDiffFindings,
    }).primary!;
    expect(report.firstProblem?.id).toBe("signature-identical");
  });

  it("an expired SAS: told from the SAS fields, with a replacement that is not the key", () => {
    const report = explainCapture(expiredSasLog, undefined, {}).primary!;
    expect(report.request.url).toContain("/devstoreaccount1/reports/q3.csv?");
    expect(report.firstProblem?.id).toBe("sas-expired");
    expect(report.verdict.decision).toBe("sas");
    expect(remedyForDoctorReport(report)?.kind).toBe("replace-sas");
  });

  it("a log without a request says so", () => {
    const startup = wrongKeyLog
      .split("\n")
      .filter((l) => !l.includes("RequestMethod="))
      .join("\n");
    expect(() =>
      parseRequestCapture(
        `${startup}\n2026-12-05T13:55:15.953Z ff8d info: X: RequestMethod=GET RequestURL=http://127.0.0.1/a RequestHeaders:{oops} ClientIP=1`,
        "azurite.log",
      ),
    ).toThrow(/azurite\.log:\d+: RequestHeaders: not a JSON object of headers/);
  });
});

describe("a Shared Key request Azure received as signed", () => {
  it("the fix hashes the account's keys and the client's, never a fix of the request", () => {
    const request = {
      method: "GET",
      url: "https://stfinance07.blob.core.windows.net/invoices/2026/q3.csv",
      headers: [
        { name: "x-ms-date", value: "Sat, 05 Dec 2026 13:00:00 GMT" },
        { name: "x-ms-version", value: "2025-01-05" },
        {
          name: "Authorization",
          value: "SharedKey stfinance07:c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmE=",
        },
      ],
    };
    const stringToSign = buildStringToSign(request, {
      account: "stfinance07",
      service: "blob",
      scheme: "SharedKey",
    }).text;
    const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:0f1e2d3c-001e-0042-6a1f-3c9d58000000\nTime:2026-12-05T13:00:01.1234567Z</Message><AuthenticationErrorDetail>The MAC signature found in the HTTP request 'c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmE=' is not the same as any computed signature. Server used following string to sign: '${stringToSign}'.</AuthenticationErrorDetail></Error>`;
    const capture = JSON.stringify({
      ...request,
      response: { status: 403, headers: { "x-ms-error-code": "AuthenticationFailed" }, body },
    });
    const report = explainCapture(capture, undefined, { sharedKeyDiff: sharedKeyDiffFindings }).primary!;
    expect(report.firstProblem?.id).toBe("signature-identical");
    const remedy = remedyForDoctorReport(report)!;
    expect(remedy.kind).toBe("update-key");
    expect(remedy.change).not.toContain("The key is current");
    expect(remedy.commands.map((c) => c.command)).toEqual([
      `az storage account keys list --account-name stfinance07 --resource-group "$(az storage account show --name stfinance07 --query resourceGroup --output tsv)" --query "[].value" --output tsv | while read -r key; do printf %s "$key" | sha256sum; done`,
      'read -rs CLIENT_ACCOUNT_KEY && printf %s "$CLIENT_ACCOUNT_KEY" | sha256sum',
    ]);
  });
});
