import { describe, expect, it } from "vitest";
import { parseRequestCapture, parseResponseCapture, storageErrorOf } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { remedyForDoctorReport } from "../../src/remedy/from-doctor.js";

/**
 * Hadoop's ABFS driver's AbfsRestOperationException, as Spark prints it on Databricks, Synapse and
 * HDInsight: the three shapes its format has had (without `rId:`, with it as newer Hadoop writes it, and a HEAD's).
 */
const MESSAGE = "This request is not authorized to perform this operation using this permission.";
const REQUEST_ID = "2f6b1e2c-501f-0066-3c1e-0b2c34000000";

const WITHOUT_RID = `Py4JJavaError: An error occurred while calling o412.load.
: Operation failed: "${MESSAGE}", 403, GET, https://stlake01.dfs.core.windows.net/raw?upn=false&resource=filesystem&maxResults=5000&directory=sales/2024&timeout=90&recursive=false, AuthorizationPermissionMismatch, "${MESSAGE} RequestId:${REQUEST_ID} Time:2024-01-09T10:11:12.1234567Z"
	at org.apache.hadoop.fs.azurebfs.services.AbfsRestOperation.execute(AbfsRestOperation.java:146)`;

const WITH_RID = `java.nio.file.AccessDeniedException: Operation failed: "${MESSAGE}", 403, PUT, https://stlake01.dfs.core.windows.net/curated/out/part-0000.parquet?resource=file&timeout=90, rId: ${REQUEST_ID}, AuthorizationPermissionMismatch, "${MESSAGE} RequestId:${REQUEST_ID} Time:2024-01-09T10:11:12.1234567Z"`;

// A HEAD has no body: no code, only the status text; the driver's format leaves an `s` after the URL.
const HEAD = `shaded.databricks.azurebfs.org.apache.hadoop.fs.azurebfs.contracts.exceptions.AbfsRestOperationException: Operation failed: "This request is not authorized to perform this operation.", 403, HEAD, https://stlake01.dfs.core.windows.net/raw/sales?upn=false&action=getStatus&timeout=90s, rId: ${REQUEST_ID}`;

// A SAS, its signature masked by the driver.
const WITH_SAS = `Operation failed: "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.", 403, GET, https://stlake01.dfs.core.windows.net/raw/a.csv?sv=2022-11-02&sr=c&sp=r&st=2024-01-08T00:00:00Z&se=2024-01-09T00:00:00Z&sig=XXXXX&timeout=90, AuthenticationFailed, "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature. RequestId:${REQUEST_ID} Time:2024-01-09T10:11:12.1234567Z"`;

const primaryOf = (text: string) => explainCapture(text, undefined, {}).primary!;

describe("Hadoop's ABFS error", () => {
  it("reads the method, URL, status, code, request id and time of each form", () => {
    const before = parseRequestCapture(WITHOUT_RID, "spark.txt");
    expect(before.request).toMatchObject({
      method: "GET",
      url: "https://stlake01.dfs.core.windows.net/raw?upn=false&resource=filesystem&maxResults=5000&directory=sales/2024&timeout=90&recursive=false",
    });
    expect(storageErrorOf(before.response)).toMatchObject({
      code: "AuthorizationPermissionMismatch",
      timeMs: Date.parse("2024-01-09T10:11:12.1234567Z"),
    });
    expect(before.response?.headers).toContainEqual({ name: "x-ms-request-id", value: REQUEST_ID });

    const since = parseRequestCapture(WITH_RID, "spark.txt");
    expect(since.request.method).toBe("PUT");
    expect(since.request.url).toBe(
      "https://stlake01.dfs.core.windows.net/curated/out/part-0000.parquet?resource=file&timeout=90",
    );

    const head = parseRequestCapture(HEAD, "spark.txt");
    expect(head.request.url).toBe(
      "https://stlake01.dfs.core.windows.net/raw/sales?upn=false&action=getStatus&timeout=90",
    );
    // No code in a HEAD's answer: its status text is AuthorizationFailure's message.
    expect(storageErrorOf(head.response).code).toBe("AuthorizationFailure");
    expect(storageErrorOf(parseResponseCapture(HEAD, "answer.txt")).code).toBe("AuthorizationFailure");
  });

  it("a token's missing role on a Data Lake path: the role, and the ACL entry when ACLs govern the path", () => {
    const report = primaryOf(WITH_RID);
    expect(report.scheme).toBe("Hidden");
    expect(report.verdict.decision).toBe("rbac");
    const remedy = remedyForDoctorReport(report)!;
    expect(remedy.kind).toBe("assign-role");
    expect(remedy.wrongIf.join("\n")).toMatch(/hierarchical namespace .* ACL entry/);
  });

  it("a SAS's fields are read, its masked signature said to be hidden, and its expiry against the error's time", () => {
    const report = primaryOf(WITH_SAS);
    expect(report.scheme).toBe("SAS");
    expect(report.firstProblem?.id).toBe("sas-expired");
  });
});

describe("a .NET exception pasted without its Content and Headers", () => {
  it("gives its ErrorCode line as the code; on the Blob endpoint the remedy says nothing of ACLs", () => {
    const answer =
      "Azure.RequestFailedException:\nStatus: 403 (Forbidden)\nErrorCode: AuthorizationPermissionMismatch\n";
    expect(storageErrorOf(parseResponseCapture(answer, "answer.txt")).code).toBe(
      "AuthorizationPermissionMismatch",
    );
    const request =
      "GET https://st01.blob.core.windows.net/reports/q3.csv HTTP/1.1\nAuthorization: Bearer eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.c2ln\nx-ms-version: 2023-11-03\n\n";
    const report = explainCapture(request, answer, {}).primary!;
    expect(report.verdict.decision).toBe("rbac");
    const remedy = remedyForDoctorReport(report)!;
    expect(remedy.kind).toBe("assign-role");
    expect(remedy.wrongIf.join("\n")).not.toMatch(/ACL/);
  });
});
