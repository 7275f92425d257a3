import { describe, expect, it } from "vitest";
import { parseRequestCapture, parseResponseCapture, storageErrorOf } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";

/**
 * Azure Data Factory's and Synapse pipelines' errors for a refused Storage call, as an activity's output
 * shows them: they name Storage's answer, not the call, so they serve as the response.
 */
const ADLS_GEN2 = `Failure happened on 'Sink' side. ErrorCode=AdlsGen2OperationFailed,'Type=Microsoft.DataTransfer.Common.Shared.HybridDeliveryException,Message=ADLS Gen2 operation failed for: Operation returned an invalid status code 'Forbidden'. Account: 'stlake01'. FileSystem: 'curated'. Path: 'sales/2024/01.parquet'. ErrorCode: 'AuthorizationPermissionMismatch'. Message: 'This request is not authorized to perform this operation using this permission.'. RequestId: '5e1c7a20-d01f-0045-2b1e-0b2c34000000'. TimeStamp: 'Tue, 09 Jan 2024 10:11:12 GMT'..,Source=Microsoft.DataTransfer.ClientLibrary,''Type=Microsoft.Azure.Storage.Data.Models.ErrorSchemaException,Message=Operation returned an invalid status code 'Forbidden',Source=Microsoft.DataTransfer.ClientLibrary,'`;

const BLOB = `ErrorCode=AzureBlobOperationFailed,'Type=Microsoft.DataTransfer.Common.Shared.HybridDeliveryException,Message=Blob operation Failed. ContainerName: raw, path: sales/2024/01.csv.,Source=Microsoft.DataTransfer.ClientLibrary,''Type=Microsoft.WindowsAzure.Storage.StorageException,Message=This request is not authorized to perform this operation.,Source=Microsoft.WindowsAzure.Storage,StorageExtendedMessage=This request is not authorized to perform this operation. RequestId:9a3f0c11-001e-0071-4c2d-1b2c3d000000 Time:2024-01-09T10:11:12.3456789Z,,''Type=System.Net.WebException,Message=The remote server returned an error: (403) Forbidden.,Source=Microsoft.WindowsAzure.Storage,'`;

describe("Data Factory's and Synapse's Storage errors", () => {
  it("ADLS Gen2: the status its name stands for, the code, request id and time", () => {
    const answer = parseResponseCapture(ADLS_GEN2, "activity.txt");
    expect(answer.status).toBe(403);
    expect(answer.headers).toContainEqual({
      name: "x-ms-request-id",
      value: "5e1c7a20-d01f-0045-2b1e-0b2c34000000",
    });
    expect(storageErrorOf(answer)).toMatchObject({
      code: "AuthorizationPermissionMismatch",
      timeMs: Date.parse("2024-01-09T10:11:12Z"),
    });
  });

  it("Blob: the code its message is, from the older .NET SDK inside, and the status of its WebException", () => {
    const answer = parseResponseCapture(BLOB, "activity.txt");
    expect(answer.status).toBe(403);
    expect(storageErrorOf(answer)).toMatchObject({
      code: "AuthorizationFailure",
      timeMs: Date.parse("2024-01-09T10:11:12.3456789Z"),
    });
  });

  it("given as the request: said to be the answer, and diagnosed beside the call", () => {
    expect(() => parseRequestCapture(ADLS_GEN2, "activity.txt")).toThrow(
      /activity\.txt: this is Storage's answer \(403 AuthorizationPermissionMismatch\), not the request/,
    );
    const call =
      "GET https://stlake01.dfs.core.windows.net/curated/sales/2024/01.parquet HTTP/1.1\nAuthorization: Bearer REDACTED\nx-ms-version: 2023-11-03\n\n";
    const report = explainCapture(call, ADLS_GEN2, {}).primary!;
    expect(report.verdict.decision).toBe("rbac");
    expect(report.findings.map((f) => f.id)).not.toContain("response-not-from-storage");
  });
});
