import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRequestCapture, parseResponseCapture, storageErrorOf } from "../../src/doctor/capture.js";
import { storageErrorBody } from "../../src/doctor/capture/exchange.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { remedyForDoctorReport } from "../../src/remedy/from-doctor.js";
import { sharedKeyDiffFindings } from "../../src/signature/doctor-adapter.js";
import { parseServerAuthError } from "../../src/signature/index.js";
import { runCli } from "./cli.js";

/**
 * The older Go Storage SDKs' StorageError (`===== RESPONSE ERROR (ServiceCode=…) =====`), as AzCopy up to
 * 10.16 prints it on the terminal and Go programs print their `err`; pasted as is, from a CI job's log
 * (each line stamped) or from an issue that doubled its line breaks.
 */

/** AzCopy 10.14.1's terminal, uploading with a read-and-list SAS to Azurite (`npm run corpus:transcripts`). */
const AZCOPY_10_14_READ_ONLY_SAS = readFileSync(
  join("test", "doctor", "captures", "transcripts", "azcopy-legacy-console-blob-sas-missing-permission.txt"),
  "utf8",
);

/**
 * AzCopy 10.20 copying between two Azure Files shares, as a user posted it publicly (names shortened):
 * the source SAS is bound to the client's address, and Storage reads a copy's source from its own.
 */
const AZCOPY_FILES_COPY_SOURCE = `INFO: Authentication failed, it is either not correct, or expired, or does not have the correct permission -> github.com/Azure/azure-storage-file-go/azfile.newStorageError, github.com/Azure/azure-storage-file-go@v0.6.1-0.20201111053559-3c1754dc00a5/azfile/zc_storage_error.go:42
===== RESPONSE ERROR (ServiceCode=CannotVerifyCopySource) =====
Description=This request is not authorized to perform this operation.
RequestId:fc23f241-201a-0106-49a6-f1eb47000000
Time:2023-09-28T00:55:06.7063459Z, Details: 
   Code: CannotVerifyCopySource
   PUT https://stdest01.file.core.windows.net/pvc-39302df8/planes/planes70002?comp=range&se=2023-10-28t08%3A45%3A17z&sig=-REDACTED-&sip=74.128.81.22&sp=rwdlc&spr=https&srt=sco&ss=f&st=2023-09-28t00%3A45%3A17z&sv=2022-11-02&timeout=901
   Content-Length: [0]
   User-Agent: [AzCopy/10.20.1 Azure-Storage/0.8.0 (go1.20.7; darwin)]
   X-Ms-Client-Request-Id: [6721b5bf-2be7-448f-7e56-1a357c00cdd4]
   X-Ms-Copy-Source: [https://stsource01.file.core.windows.net/pvc-1176e15b/planes/planes70002?se=2023-10-28t08%3A47%3A57z&sig=-REDACTED-&sip=74.128.81.22&sp=rwdlc&spr=https&srt=sco&ss=f&st=2023-09-28t00%3A47%3A57z&sv=2022-11-02]
   X-Ms-Range: [bytes=8388608-12582911]
   X-Ms-Source-Range: [bytes=8388608-12582911]
   X-Ms-Version: [2022-11-02]
   X-Ms-Write: [update]
   --------------------------------------------------------------------------------
   RESPONSE Status: 403 This request is not authorized to perform this operation.
   Content-Length: [248]
   Content-Type: [application/xml]
   Date: [Thu, 28 Sep 2023 00:55:06 GMT]
   Server: [Windows-Azure-File/1.0 Microsoft-HTTPAPI/2.0]
   X-Ms-Error-Code: [CannotVerifyCopySource]
   X-Ms-Request-Id: [fc23f241-201a-0106-49a6-f1eb47000000]
   X-Ms-Version: [2022-11-02]
`;

/** The same text as an Azure Pipelines step logs it: each line after the time it was written. */
const inPipelineLog = (text: string) =>
  text
    .split("\n")
    .map((l, i) => `2023-09-28T00:55:${String(6 + (i % 50)).padStart(2, "0")}.9568002Z ${l}`)
    .join("\n");

/** The same text pasted where every line break was doubled (a GitHub issue, a chat). */
const doubled = (text: string) => text.split("\n").join("\n\n");

/**
 * A Shared Key upload whose Content-Type a proxy changed after signing: Storage's detail quotes its
 * string-to-sign over many lines. The dump hides the Authorization header; the string the request implies
 * does not need it.
 */
const SERVER_STRING_TO_SIGN = [
  "PUT",
  "",
  "",
  "5",
  "",
  "text/plain; charset=utf-8",
  "",
  "",
  "",
  "",
  "",
  "",
  "x-ms-blob-type:BlockBlob",
  "x-ms-client-request-id:3f32ca2b-5a7c-44ab-424c-7846309cff48",
  "x-ms-date:Fri, 30 Jul 2021 10:13:38 GMT",
  "x-ms-version:2019-12-12",
  "/stbuildcache01/artifacts/build-974223.zip",
  "timeout:901",
].join("\n");
const SHARED_KEY_CONTENT_TYPE_CHANGED = `-> github.com/Azure/azure-storage-blob-go/azblob.newStorageError, /home/vsts/go/pkg/mod/github.com/!azure/azure-storage-blob-go@v0.10.1/azblob/zc_storage_error.go:42
===== RESPONSE ERROR (ServiceCode=AuthenticationFailed) =====
Description=Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.
RequestId:9e1c4c0f-c01e-0054-7a2e-85d5c1000000
Time:2021-07-30T10:13:38.9870452Z, Details: 
   AuthenticationErrorDetail: The MAC signature found in the HTTP request 'bWFjLXRoYXQtbXVzdC1uZXZlci1iZS1zaG93bg==' is not the same as any computed signature. Server used following string to sign: '${SERVER_STRING_TO_SIGN}'.
   Code: AuthenticationFailed
   PUT https://stbuildcache01.blob.core.windows.net/artifacts/build-974223.zip?timeout=901
   Authorization: REDACTED
   Content-Length: [5]
   Content-Type: [text/plain]
   User-Agent: [AzCopy/10.11.0 Azure-Storage/0.13 (go1.15; Windows_NT)]
   X-Ms-Blob-Type: [BlockBlob]
   X-Ms-Client-Request-Id: [3f32ca2b-5a7c-44ab-424c-7846309cff48]
   X-Ms-Date: [Fri, 30 Jul 2021 10:13:38 GMT]
   X-Ms-Version: [2019-12-12]
   --------------------------------------------------------------------------------
   RESPONSE Status: 403 Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.
   Content-Length: [447]
   Content-Type: [application/xml]
   Date: [Fri, 30 Jul 2021 10:13:38 GMT]
   Server: [Microsoft-HTTPAPI/2.0]
   X-Ms-Error-Code: [AuthenticationFailed]
   X-Ms-Request-Id: [9e1c4c0f-c01e-0054-7a2e-85d5c1000000]
`;

const primaryOf = (text: string) =>
  explainCapture(text, undefined, { sharedKeyDiff: sharedKeyDiffFindings }).primary!;

describe("the older Go Storage SDKs' RESPONSE ERROR text", () => {
  it("reads AzCopy 10.14's terminal: the request, its headers (an empty one kept) and the answer", () => {
    const exchange = parseRequestCapture(AZCOPY_10_14_READ_ONLY_SAS, "azcopy.txt");
    expect(exchange.request.method).toBe("PUT");
    expect(exchange.request.url).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/reports\/2026\/q4-legacy\.csv\?se=.*&sp=rl&/,
    );
    expect(exchange.request.headers).toContainEqual({ name: "X-Ms-Blob-Type", value: "BlockBlob" });
    expect(exchange.request.headers).toContainEqual({ name: "X-Ms-Blob-Cache-Control", value: "" });
    expect(exchange.response?.status).toBe(403);
    expect(exchange.response?.headers.find((h) => h.name === "Server")?.value).toMatch(/^Azurite-Blob\//);
    // Azurite's indented XML leaves the Description empty: the code still comes through.
    expect(storageErrorOf(exchange.response).code).toBe("AuthorizationPermissionMismatch");

    const report = primaryOf(AZCOPY_10_14_READ_ONLY_SAS);
    expect(report.firstProblem?.id).toBe("sas-permission-mismatch");
    expect(report.verdict.decision).toBe("sas");
    expect(remedyForDoctorReport(report)?.commands[0]?.command).toContain("--permissions rwl");
  });

  it("names the copy source's SAS, bound to the client's address, as why Storage could not verify it", async () => {
    const report = primaryOf(AZCOPY_FILES_COPY_SOURCE);
    expect(report.response?.errorCode).toBe("CannotVerifyCopySource");
    expect(report.firstProblem?.id).toBe("copy-source-sas-ip-bound");
    expect(report.verdict.decision).toBe("sas");
    expect(report.request.copySource).toMatch(
      /^https:\/\/stsource01\.file\.core\.windows\.net\/.*sig=REDACTED/,
    );
    expect(report.verdict.avoid.join(" ")).toMatch(/destination/);
    expect(report.requestTime?.source).toBe("the error's Time");

    const remedy = remedyForDoctorReport(report)!;
    expect(remedy.kind).toBe("replace-sas");
    const [mint] = remedy.commands;
    expect(mint?.command).toMatch(
      /^az storage file generate-sas --account-name stsource01 --share-name pvc-1176e15b --path planes\/planes70002 --permissions r /,
    );
    expect(mint?.command).not.toMatch(/--ip|stdest01/);
    expect(remedy.wrongIf.join(" ")).toMatch(/destination/);

    const dir = mkdtempSync(join(tmpdir(), "go-storage-error-"));
    try {
      writeFileSync(join(dir, "azcopy.txt"), AZCOPY_FILES_COPY_SOURCE);
      const cli = await runCli(["explain", "--request", join(dir, "azcopy.txt")]);
      expect(cli.code).toBe(0);
      expect(cli.stdout).toMatch(/First problem: The copy source's SAS is bound to an IP range/);
      expect(cli.stdout).toMatch(/Copy source: https:\/\/stsource01\.file\.core\.windows\.net\//);
      expect(cli.stdout).not.toMatch(/fix-signature/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads the same error from a CI job's log, each line stamped, and from a paste with doubled line breaks", () => {
    const plain = primaryOf(AZCOPY_FILES_COPY_SOURCE);
    for (const text of [inPipelineLog(AZCOPY_FILES_COPY_SOURCE), doubled(AZCOPY_FILES_COPY_SOURCE)]) {
      const report = primaryOf(text);
      expect(report.request).toEqual(plain.request);
      expect(report.firstProblem?.id).toBe("copy-source-sas-ip-bound");
      expect(report.response).toEqual(plain.response);
    }
  });

  it("diffs the server's string-to-sign, over lines of its own, with the request's though its Authorization is hidden", () => {
    const exchange = parseRequestCapture(SHARED_KEY_CONTENT_TYPE_CHANGED, "go.txt");
    const error = storageErrorOf(exchange.response);
    expect(error.code).toBe("AuthenticationFailed");
    expect(error.stringToSign).toBe(SERVER_STRING_TO_SIGN);
    expect(error.timeMs).toBe(Date.parse("2021-07-30T10:13:38.987Z"));
    const report = primaryOf(SHARED_KEY_CONTENT_TYPE_CHANGED);
    expect(report.verdict.decision).toBe("authentication");
    expect(report.response?.detail).toMatch(/Server used following string to sign/);
    expect(JSON.stringify(report)).not.toContain("bWFjLXRoYXQtbXVzdC1uZXZlci1iZS1zaG93bg");
    expect(report.scheme).toBe("Hidden");
    expect(report.firstProblem?.title).toBe("Content-Type changed after signing");
    expect(report.findings.filter((f) => f.severity === "error")).toHaveLength(1);
    const remedy = remedyForDoctorReport(report)!;
    expect(remedy.kind).toBe("fix-signature");
    expect(remedy.change).toMatch(/^Content-Type changed after signing/);
  });

  it("serves as --response alone, and says what is missing when a cut paste names no request", () => {
    const cut = [
      "[AzCopy pre-copy] ===== RESPONSE ERROR (ServiceCode=AuthorizationFailure) =====",
      "Description=This request is not authorized to perform this operation.",
      "RequestId:5fb674b9-201e-001b-2a5b-527400000000",
      "Time:2021-05-26T18:18:07.5931967Z, Details: ",
      "   Code: AuthorizationFailure",
    ].join("\n");
    const response = parseResponseCapture(cut, "response.txt");
    expect(storageErrorOf(response).code).toBe("AuthorizationFailure");
    expect(storageErrorOf(response).timeMs).toBe(Date.parse("2021-05-26T18:18:07.593Z"));
    expect(() => parseRequestCapture(cut, "request.txt")).toThrow(/request\.txt: .*names no request/);
    expect(parseResponseCapture(AZCOPY_FILES_COPY_SOURCE, "r.txt").status).toBe(403);
  });

  it("reads the first azcore-based azblob's variant, (ErrorCode=…) with Details: (none), as Pulumi printed it", () => {
    const printed = [
      'error: problem logging in: read ".pulumi/meta.yaml": blob (key ".pulumi/meta.yaml") (code=Unknown): ===== RESPONSE ERROR (ErrorCode=AuthorizationPermissionMismatch) =====',
      "Description=This request is not authorized to perform this operation using this permission.",
      "RequestId:8d0c5a7e-c01e-0067-186e-ea1ec6000000",
      "Time:2023-09-18T20:27:24.9858482Z, Details: (none)",
    ].join("\n");
    const answer = parseResponseCapture(printed, "pulumi.txt");
    expect(storageErrorOf(answer)).toMatchObject({
      code: "AuthorizationPermissionMismatch",
      timeMs: Date.parse("2023-09-18T20:27:24.985Z"),
    });
    expect(() => parseRequestCapture(printed, "pulumi.txt")).toThrow(
      /prints only the answer .*\(--response\)/,
    );
  });
});

describe("the oldest Go Storage SDK's error (azure-sdk-for-go's storage package)", () => {
  const text = [
    'MountVolume.SetUp failed for volume "pvc-4f" : rpc error: code = Internal desc = storage: service returned error: StatusCode=403, ErrorCode=AuthenticationFailed, ErrorMessage=Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
    "RequestId:2d9c4b7e-f01a-0020-1b2c-3d4e5f000000",
    "Time:2026-12-05T20:15:02.1234567Z, RequestInitiated=Sat, 05 Dec 2026 20:15:01 GMT, RequestId=2d9c4b7e-f01a-0020-1b2c-3d4e5f000000, API Version=2018-03-28, QueryParameterName=, QueryParameterValue=",
  ].join("\n");

  it("gives the answer's status, code and time as --response, and as the request says it is the answer", () => {
    const response = parseResponseCapture(text, "k8s.txt");
    expect(response.status).toBe(403);
    const error = storageErrorOf(response);
    expect(error.code).toBe("AuthenticationFailed");
    expect(error.timeMs).toBe(Date.parse("2026-12-05T20:15:02.123Z"));
    expect(() => parseRequestCapture(text, "k8s.txt")).toThrow(
      /Storage's answer \(403 AuthenticationFailed\)/,
    );
  });
});

describe("the copy source behind CannotVerifyCopySource", () => {
  const withSource = (source: string, extra = "") =>
    AZCOPY_FILES_COPY_SOURCE.replace(
      / {3}X-Ms-Copy-Source: \[[^\]]*\]/,
      `   X-Ms-Copy-Source: [${source}]${extra}`,
    );

  it("tells an expired source SAS, one without read, a source without any credential and a token", () => {
    const expired = primaryOf(
      withSource(
        "https://stsource01.blob.core.windows.net/c/b.bin?sv=2022-11-02&se=2023-09-27T00%3A00%3A00Z&sp=r&sr=b&sig=-REDACTED-",
      ),
    );
    expect(expired.firstProblem?.id).toBe("copy-source-sas-expired");
    const blobMint = remedyForDoctorReport(expired)!.commands[0]!.command;
    expect(blobMint).toMatch(
      /^az storage blob generate-sas --account-name stsource01 --container-name c --name b\.bin --permissions r .*--as-user --auth-mode login/,
    );

    const writeOnly = primaryOf(
      withSource(
        "https://stsource01.blob.core.windows.net/c/b.bin?sv=2022-11-02&se=2024-01-01T00%3A00%3A00Z&sp=w&sr=b&sig=-REDACTED-",
      ),
    );
    expect(writeOnly.firstProblem?.id).toBe("copy-source-sas-no-read");

    expect(primaryOf(withSource("https://stsource01.blob.core.windows.net/c/b.bin")).firstProblem?.id).toBe(
      "copy-source-anonymous",
    );

    const token = primaryOf(
      withSource(
        "https://stsource01.blob.core.windows.net/c/b.bin",
        "\n   X-Ms-Copy-Source-Authorization: [REDACTED]",
      ),
    );
    expect(token.firstProblem?.id).toBe("copy-source-token-refused");
    expect(token.verdict.decision).toBe("rbac");
    expect(remedyForDoctorReport(token)?.kind).toBe("assign-role");

    // Fields a logger hid are not read as values: no "without r" for sp=REDACTED.
    const hidden = primaryOf(
      withSource(
        "https://stsource01.blob.core.windows.net/c/b.bin?sv=REDACTED&se=REDACTED&sp=REDACTED&sr=REDACTED&sig=REDACTED",
      ),
    );
    expect(hidden.firstProblem?.id).toBe("copy-source-refused");

    const unexplained = primaryOf(
      withSource(
        "https://stsource01.blob.core.windows.net/c/b.bin?sv=2022-11-02&se=2024-01-01T00%3A00%3A00Z&sp=r&sr=b&sig=-REDACTED-",
      ),
    );
    expect(unexplained.firstProblem?.id).toBe("copy-source-refused");
    expect(unexplained.firstProblem?.detail).toMatch(/firewall/);
  });
});

describe("Storage's XML error rebuilt from its parts", () => {
  it("escapes what it is given, so the doctor reads back exactly that", () => {
    const body = storageErrorBody({
      code: "AuthenticationFailed",
      message: "a <b> & c\nRequestId:9e1c4c0f-c01e-0054-7a2e-85d5c1000000",
      details: [["AuthenticationErrorDetail", "Server used following string to sign: 'GET\n\n<x>&'."]],
    });
    const parsed = parseServerAuthError(body);
    expect(parsed.errorCode).toBe("AuthenticationFailed");
    expect(parsed.requestId).toBe("9e1c4c0f-c01e-0054-7a2e-85d5c1000000");
    expect(parsed.stringToSign).toBe("GET\n\n<x>&");
  });
});
