import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { codeOfStatusMessage, codeQuotedIn } from "../../src/codes/error-codes.js";
import {
  CaptureError,
  parseRequestCapture,
  parseResponseCapture,
  storageErrorOf,
} from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { remedyForDoctorReport } from "../../src/remedy/from-doctor.js";
import { runCli } from "./cli.js";

/**
 * AzCopy's line for a failed transfer (`UPLOADFAILED: … : 403 : 403 <message>. When <step>. X-Ms-Request-Id:
 * …`, then `Dst: …`): what users paste from its job log, alone. The real lines come from AzCopy's job logs
 * against Azurite (`npm run corpus:transcripts`), 10.32 and 10.14.
 */
const transcript = (name: string) =>
  readFileSync(join("test", "doctor", "captures", "transcripts", `${name}.txt`), "utf8");

/** The failed-transfer line of a job log and the lines after it up to its `Dst:`, as a user copies them. */
function failedTransferLines(log: string): string {
  const lines = log.split("\n");
  const at = lines.findIndex((l) => /FAILED: /.test(l));
  const dst = lines.findIndex((l, i) => i > at && /^\s*Dst: /.test(l));
  expect(at).toBeGreaterThanOrEqual(0);
  expect(dst).toBeGreaterThan(at);
  return lines.slice(at, dst + 1).join("\n");
}

const primaryOf = (text: string) => explainCapture(text, undefined, {}).primary!;

describe("AzCopy's failed-transfer line", () => {
  it("AzCopy 10.14, an expired SAS: the destination's SAS fields and the line's time tell it expired", () => {
    const text = failedTransferLines(transcript("azcopy-legacy-log-blob-sas-expired"));
    const exchange = parseRequestCapture(text, "azcopy.log");
    expect(exchange.request.method).toBe("PUT");
    expect(exchange.request.url).toMatch(
      /\/devstoreaccount1\/reports\/2026\/q4-legacy\.csv\?se=.*&sig=-REDACTED-&/,
    );
    expect(exchange.response?.status).toBe(403);
    // Azurite words AuthenticationFailed's message with an article Storage leaves out.
    expect(storageErrorOf(exchange.response).code).toBe("AuthenticationFailed");
    const report = primaryOf(text);
    expect(report.firstProblem?.id).toBe("sas-expired");
    expect(report.verdict.decision).toBe("sas");
  });

  it("AzCopy 10.14, a read-only SAS used to upload: the permission the write needs", () => {
    const report = primaryOf(
      failedTransferLines(transcript("azcopy-legacy-log-blob-sas-missing-permission")),
    );
    expect(report.firstProblem?.id).toBe("sas-permission-mismatch");
    expect(remedyForDoctorReport(report)?.commands[0]?.command).toContain("--permissions rwl");
  });

  it("AzCopy 10.32 leaves the destination's query out: the credential is unseen, the code still decides", () => {
    const text = failedTransferLines(transcript("azcopy-log-blob-sas-missing-permission"));
    const exchange = parseRequestCapture(text, "azcopy.log");
    expect(exchange.queryNotShown).toBe(true);
    expect(exchange.credentialNotShown).toMatch(/When Committing block list/);
    expect(exchange.request.headers).toContainEqual({ name: "x-ms-blob-type", value: "BlockBlob" });
    const report = primaryOf(text);
    expect(report.scheme).toBe("Hidden");
    expect(storageErrorOf(exchange.response).code).toBe("AuthorizationPermissionMismatch");
  });

  const COPY_FAILED = (
    step: string,
    status = "403 This request is not authorized to perform this operation.",
  ) =>
    `2024/03/11 09:12:40 ERR: [P#0-T#7] COPYFAILED: https://stsrc01.blob.core.windows.net/raw/2024/03/a.parquet?se=2024-03-12t09%3A00%3A00z&sig=-REDACTED-&sp=r&sr=c&st=2024-03-11t08%3A00%3A00z&sv=2022-11-02 : 403 : ${status}. When ${step}. X-Ms-Request-Id: 5d0a2f3e-901e-0042-1b7c-73a1d4000000\n\n   Dst: https://stdst01.blob.core.windows.net/curated/2024/03/a.parquet?se=2024-03-12t09%3A00%3A00z&sig=-REDACTED-&sp=rw&sr=c&st=2024-03-11t08%3A00%3A00z&sv=2022-11-02\n`;

  it("a copy: the step names the call on the destination, and a copy from a URL carries its source", () => {
    const tier = parseRequestCapture(
      COPY_FAILED("Checking destination tier availability (Set blob tier) "),
      "x",
    );
    expect(tier.request.method).toBe("PUT");
    expect(tier.request.url).toMatch(
      /^https:\/\/stdst01\.blob\.core\.windows\.net\/curated\/.*&sv=2022-11-02&comp=tier$/,
    );
    expect(tier.response?.headers).toContainEqual({
      name: "x-ms-request-id",
      value: "5d0a2f3e-901e-0042-1b7c-73a1d4000000",
    });
    expect(storageErrorOf(tier.response).code).toBe("AuthorizationFailure");

    const staged = parseRequestCapture(COPY_FAILED("Staging block from URL"), "x");
    expect(staged.request.url).toMatch(/&comp=block$/);
    expect(staged.request.headers).toEqual([
      {
        name: "x-ms-copy-source",
        value: expect.stringMatching(/^https:\/\/stsrc01\.blob\.core\.windows\.net\/raw\//),
      },
    ]);
    expect(primaryOf(COPY_FAILED("Staging block from URL")).request.copySource).toBeDefined();
  });

  it("a download reads its source: GET, or HEAD for its properties", () => {
    const line = (step: string) =>
      `ERR: [P#0-T#0] DOWNLOADFAILED: https://stsrc01.blob.core.windows.net/raw/a.csv?se=2024-03-12t09%3A00%3A00z&sig=-REDACTED-&sp=l&sr=c&sv=2022-11-02 : 403 : 403 This request is not authorized to perform this operation using this permission.. When ${step}. X-Ms-Request-Id: 5d0a2f3e-901e-0042-1b7c-73a1d4000001\n\n   Dst: /data/a.csv\n`;
    const body = parseRequestCapture(line("Downloading response body"), "x");
    expect(body.request.method).toBe("GET");
    expect(body.request.url).toMatch(/^https:\/\/stsrc01\.blob\.core\.windows\.net\/raw\/a\.csv\?/);
    expect(parseRequestCapture(line("Getting source properties"), "x").request.method).toBe("HEAD");
    const report = primaryOf(line("Downloading response body"));
    expect(report.firstProblem?.id).toBe("sas-permission-mismatch");
  });

  it("as --response: the status, the code its message is, the request id", () => {
    const answer = parseResponseCapture(COPY_FAILED("Staging block from URL"), "answer.txt");
    expect(answer.status).toBe(403);
    expect(storageErrorOf(answer).code).toBe("AuthorizationFailure");
    expect(storageErrorOf(answer).timeMs).toBe(Date.parse("2024-03-11T09:12:40Z"));
  });

  it("an upload's line without its Dst: line says what to add", () => {
    const alone = failedTransferLines(transcript("azcopy-log-blob-sas-missing-permission")).split("\n")[0]!;
    expect(() => parseRequestCapture(alone, "azcopy.log")).toThrow(CaptureError);
    expect(() => parseRequestCapture(alone, "azcopy.log")).toThrow(
      /azcopy\.log: .*no "Dst: https:\/\/…" line/,
    );
  });

  it("explain reads it from a file, and an answer from which nothing can be read is refused by name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azcopy-line-"));
    try {
      const file = (name: string, text: string) => {
        writeFileSync(join(dir, name), text);
        return join(dir, name);
      };
      const line = file("azcopy.txt", failedTransferLines(transcript("azcopy-legacy-log-blob-sas-expired")));
      const ok = await runCli(["explain", "--request", line, "--format", "json"]);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout).firstProblem.id).toBe("sas-expired");
      const request = file("request.txt", "GET /c/b HTTP/1.1\nHost: a.blob.core.windows.net\n\n");
      const junk = await runCli([
        "explain",
        "--request",
        request,
        "--response",
        file("response.txt", "it did not work\n"),
      ]);
      expect(junk.code).toBe(2);
      expect(junk.stderr).toMatch(/response\.txt: neither a status nor a Storage error code could be read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Storage's messages to codes", () => {
  it("finds the one code whose message a printed error quotes (the Hadoop WASB driver's StorageException)", () => {
    const wasb =
      "shaded.databricks.org.apache.hadoop.fs.azure.AzureException: com.microsoft.azure.storage.StorageException: This request is not authorized to perform this operation.\n\tat shaded.databricks.org.apache.hadoop.fs.azure.AzureNativeFileSystemStore.retrieveMetadata(AzureNativeFileSystemStore.java:2198)";
    expect(codeQuotedIn(wasb)).toBe("AuthorizationFailure");
    // The longer message is not read as the shorter one it starts with.
    expect(
      codeQuotedIn(
        "StorageException: This request is not authorized to perform this operation using this permission.",
      ),
    ).toBe("AuthorizationPermissionMismatch");
    expect(
      codeQuotedIn(
        "KeyBasedAuthentication: Key based authentication is not permitted on this storage account.",
      ),
    ).toBe("KeyBasedAuthenticationNotPermitted");
    // Two codes' messages, or none: no code.
    expect(
      codeQuotedIn(`${wasb}\nKey based authentication is not permitted on this storage account.`),
    ).toBeUndefined();
    expect(codeQuotedIn("The upload failed.")).toBeUndefined();
    const answer = parseResponseCapture(wasb, "spark.txt");
    expect(storageErrorOf(answer).code).toBe("AuthorizationFailure");
    expect(answer.status).toBeUndefined();
  });

  it("reads AuthenticationFailed's message as Storage and as Azurite word it", () => {
    for (const text of [
      "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
      "Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.",
    ])
      expect(codeOfStatusMessage(text)).toBe("AuthenticationFailed");
    expect(codeOfStatusMessage("This request is not authorized to perform this operation.")).toBe(
      "AuthorizationFailure",
    );
  });
});
