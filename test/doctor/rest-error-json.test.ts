import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { parseRequestCapture, parseResponseCapture, storageErrorOf } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { renderExplainText } from "../../src/doctor/render.js";
import { startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import { remedyForDoctorReport } from "../../src/remedy/from-doctor.js";

/**
 * The JavaScript SDK's RestError as JSON: Azure Storage Explorer's "Copy error details" (the shape users
 * paste into issues, headers in core-http's `_headersMap`), and JSON.stringify of an error of today's
 * Storage SDK, made here by the real SDK against Azurite.
 */

const entry = (name: string, value: string) => ({ name, value });

/** Storage Explorer's error details for a signed-in user listing containers without a data role. */
function storageExplorerDetails(): string {
  return JSON.stringify(
    {
      name: "RestError",
      code: "AuthorizationPermissionMismatch",
      statusCode: 403,
      request: {
        streamResponseStatusCodes: {},
        url: "https://stfinance07.blob.core.windows.net/?comp=list&include=metadata",
        method: "GET",
        headers: {
          _headersMap: {
            "x-ms-version": entry("x-ms-version", "2021-10-04"),
            accept: entry("Accept", "application/xml"),
            "user-agent": entry(
              "User-Agent",
              "Microsoft Azure Storage Explorer/1.31.1 (win32) azsdk-js-storageblob/12.15.0 (NODE-VERSION v18.15.0; Windows_NT 10.0.22631)",
            ),
            "x-ms-client-request-id": entry("x-ms-client-request-id", "6f0c61a2-3e51-4c1b-9d0e-2b8f7a4c1d93"),
            authorization: entry("authorization", "Bearer JSON Web Token Redacted"),
            cookie: entry("Cookie", ""),
          },
        },
        withCredentials: false,
        timeout: 0,
        keepAlive: true,
        requestId: "6f0c61a2-3e51-4c1b-9d0e-2b8f7a4c1d93",
      },
      response: {
        headers: {
          _headersMap: {
            "content-type": entry("content-type", "application/xml"),
            server: entry("server", "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0"),
            "x-ms-request-id": entry("x-ms-request-id", "b2d7e0c4-701e-0042-6a1f-3c9d58000000"),
            "x-ms-error-code": entry("x-ms-error-code", "AuthorizationPermissionMismatch"),
            date: entry("date", "Thu, 04 Jan 2024 09:12:44 GMT"),
          },
        },
        status: 403,
        bodyAsText:
          '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.\nRequestId:b2d7e0c4-701e-0042-6a1f-3c9d58000000\nTime:2024-01-04T09:12:44.5187713Z</Message></Error>',
      },
    },
    null,
    2,
  );
}

describe("Storage Explorer's error details", () => {
  it("read as the request and its answer: RBAC, the hidden token named, a role for the signed-in user", () => {
    const exchange = parseRequestCapture(storageExplorerDetails(), "details.json");
    expect(exchange.request.url).toBe(
      "https://stfinance07.blob.core.windows.net/?comp=list&include=metadata",
    );
    expect(exchange.request.headers.map((h) => h.name)).not.toContain("Cookie");
    expect(exchange.response?.status).toBe(403);

    const report = explainCapture(storageExplorerDetails(), undefined, {}).primary!;
    expect(report.request.operation).toBe("ListContainers");
    expect(report.verdict.decision).toBe("rbac");
    expect(report.findings.map((f) => f.id)).toContain("bearer-token-hidden");
    const remedy = remedyForDoctorReport(report)!;
    expect(remedy.kind).toBe("assign-role");
    expect(remedy.commands[0]!.command).toContain("--assignee-principal-type User");
    expect(remedy.commands[0]!.placeholders[0]!.reason).toContain("az ad signed-in-user show");
    expect(renderExplainText(explainCapture(storageExplorerDetails(), undefined, {}))).toContain(
      "Response: 403 AuthorizationPermissionMismatch",
    );
  });

  it("a broken one names its field", () => {
    const doc = JSON.parse(storageExplorerDetails()) as { request: { url?: string } };
    delete doc.request.url;
    expect(() => parseRequestCapture(JSON.stringify(doc), "details.json")).toThrow(
      /details\.json: request\.url: missing: the error details name no request URL/,
    );
  });
});

describe("today's Storage SDK error as JSON (real, against Azurite)", () => {
  let azurite: AzuriteInstance;
  let errorJson: string;
  beforeAll(async () => {
    azurite = await startAzurite();
    const wrongKey = Buffer.alloc(64, 7).toString("base64");
    const client = new BlobServiceClient(
      azurite.blobEndpoint,
      new StorageSharedKeyCredential("devstoreaccount1", wrongKey),
    );
    try {
      await client.getContainerClient("invoices").getProperties();
      throw new Error("Azurite accepted a wrong key");
    } catch (err) {
      errorJson = JSON.stringify(err, null, 2);
    }
  }, 60_000);
  afterAll(async () => {
    await azurite?.stop();
  });

  it("holds no request: as --request it says to pass it as the response", () => {
    expect(errorJson).toContain('"name": "RestError"');
    expect(() => parseRequestCapture(errorJson, "err.json")).toThrow(/pass this file as --response/);
  });

  it("as --response gives the status, the emulator's headers and the code", () => {
    const response = parseResponseCapture(errorJson, "err.json");
    expect(response.status).toBe(403);
    expect(response.headers).toContainEqual({ name: "x-ms-error-code", value: "AuthorizationFailure" });
    expect(response.headers.find((h) => h.name === "server")?.value).toMatch(/^Azurite-Blob\//);
    expect(response.headers.map((h) => h.name)).not.toContain("message");
    expect(storageErrorOf(response).code).toBe("AuthorizationFailure");
    expect(storageErrorOf(response).timeMs).toBeGreaterThan(0);
  });

  it("Azure's AuthenticationErrorDetail in the details still gives the server's string-to-sign", () => {
    const stringToSign =
      "GET\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\nx-ms-date:Thu, 04 Jan 2024 09:12:44 GMT\\nx-ms-version:2025-01-05\\n/stfinance07/invoices\\nrestype:container";
    const doc = {
      name: "RestError",
      code: "AuthenticationFailed",
      statusCode: 403,
      details: {
        errorCode: "AuthenticationFailed",
        "x-ms-request-id": "b2d7e0c4-701e-0042-6a1f-3c9d58000001",
        message:
          "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:b2d7e0c4-701e-0042-6a1f-3c9d58000001\nTime:2024-01-04T09:12:44.5187713Z",
        code: "AuthenticationFailed",
        authenticationErrorDetail: `The MAC signature found in the HTTP request 'c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmE=' is not the same as any computed signature. Server used following string to sign: '${stringToSign}'.`,
      },
    };
    const error = storageErrorOf(parseResponseCapture(JSON.stringify(doc), "err.json"));
    expect(error.code).toBe("AuthenticationFailed");
    expect(error.stringToSign).toContain("/stfinance07/invoices\nrestype:container");
    expect(error.authenticationErrorDetail).not.toContain("c2lnbmF0dXJl");
  });
});

describe("a RestError as Node prints it (console.error(err))", () => {
  // Made by `npm run corpus:transcripts`: today's SDK against Azurite, a SAS that expired an hour ago.
  const printed = readFileSync(
    join("test", "doctor", "captures", "transcripts", "js-error-blob-sas-expired.txt"),
    "utf8",
  );

  it("reads the request the error holds, every SAS field hidden, and Storage's answer", () => {
    expect(printed).toMatch(/^RestError: /);
    const exchange = parseRequestCapture(printed, "err.txt");
    expect(exchange.request.method).toBe("GET");
    expect(exchange.request.url).toMatch(
      /\/devstoreaccount1\/reports\/2026\/q3\.csv\?sv=REDACTED&.*&sp=REDACTED/,
    );
    expect(exchange.response?.status).toBe(403);
    expect(storageErrorOf(exchange.response).code).toBe("AuthorizationFailure");
    expect(parseResponseCapture(printed, "err.txt").status).toBe(403);
  });

  it("fixes with a new SAS of the letters the call needs, never claiming the hidden SAS was in date", () => {
    const report = explainCapture(printed, undefined, {}).primary!;
    expect(report.firstProblem?.detail).toMatch(/hides sv, sr, sp, st, se/);
    const remedy = remedyForDoctorReport(report)!;
    expect(remedy.kind).toBe("replace-sas");
    expect(remedy.change).toMatch(/hides the SAS's fields/);
    expect(remedy.change).not.toMatch(/in date|REDACT/);
    expect(remedy.commands[0]!.command).toMatch(/ --permissions r /);
    expect(remedy.facts.map((f) => f.value).join(" ")).not.toMatch(/REDACT/);
  });

  it("says so when the JSON after the message is cut off", () => {
    const cut = printed.slice(0, printed.indexOf('"request"'));
    expect(() => parseRequestCapture(cut, "err.txt")).toThrow(
      /err\.txt: a RestError as Node prints it, .*cut off/,
    );
  });
});
