import { describe, expect, it } from "vitest";
import { diagnosePaste } from "../../src/dashboard/diagnose-engine.js";
import { parseRequestCapture, parseResponseCapture, storageErrorOf } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { remedyForDoctorReport } from "../../src/remedy/from-doctor.js";

/**
 * Terraform's TF_LOG=DEBUG dumps of its Storage calls, as users paste them into issues: the azurerm
 * state backend's `Azure Backend Request:` / `Azure Backend Response for <url>:`, and the provider's
 * `AzureRM Request:` / `AzureRM Response for <url>:` whose last line ends `: timestamp=…`.
 */
const BACKEND = `2024-02-01T08:14:02.101Z [DEBUG] Obtaining an MSAL / Microsoft Graph token for Storage..
2024-02-01T08:14:02.455Z [DEBUG] Azure Backend Request: 
GET /tfstate?comp=list&prefix=prod.tfstateenv%3A&restype=container HTTP/1.1
Host: stplatformstate01.blob.core.windows.net
User-Agent: Terraform/1.7.2
Content-Type: application/xml; charset=utf-8
X-Ms-Version: 2018-11-09
Accept-Encoding: gzip
2024-02-01T08:14:02.913Z [DEBUG] Azure Backend Response for https://stplatformstate01.blob.core.windows.net/tfstate?comp=list&prefix=prod.tfstateenv%3A&restype=container: 
HTTP/1.1 403 This request is not authorized to perform this operation using this permission.
Content-Length: 279
Content-Type: application/xml
Date: Thu, 01 Feb 2024 08:14:02 GMT
Server: Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0
X-Ms-Error-Code: AuthorizationPermissionMismatch
X-Ms-Request-Id: 71c0f2aa-701e-0056-6d60-34200a000000
X-Ms-Version: 2018-11-09

<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.
RequestId:71c0f2aa-701e-0056-6d60-34200a000000
Time:2024-02-01T08:14:02.9123456Z</Message></Error>
2024-02-01T08:14:02.914Z [DEBUG] Azure Backend Response for https://stplatformstate01.blob.core.windows.net/tfstate?comp=list: 
Error: Failed to get existing workspaces: containers.Client#ListBlobs: Failure responding to request: StatusCode=403`;

// The provider: a successful read, then the upload refused by the firewall (a HEAD first, its 404 fine).
const PROVIDER = `2024-05-03T10:11:12.100+0200 [DEBUG] provider.terraform-provider-azurerm_v3.101.0_x5: AzureRM Request: 
HEAD /uploads/test123.txt HTTP/1.1
Host: stapps01.blob.core.windows.net
User-Agent: Go/go1.22.2 (amd64-linux) go-autorest/v14.2.1
X-Ms-Version: 2020-08-04: timestamp=2024-05-03T10:11:12.100+0200
2024-05-03T10:11:12.300+0200 [DEBUG] provider.terraform-provider-azurerm_v3.101.0_x5: AzureRM Response for https://stapps01.blob.core.windows.net/uploads/test123.txt: 
HTTP/1.1 404 The specified blob does not exist.
Content-Length: 0
Date: Fri, 03 May 2024 08:11:12 GMT
X-Ms-Error-Code: BlobNotFound: timestamp=2024-05-03T10:11:12.300+0200
2024-05-03T10:11:12.400+0200 [DEBUG] provider.terraform-provider-azurerm_v3.101.0_x5: AzureRM Request: 
PUT /uploads/test123.txt HTTP/1.1
Host: stapps01.blob.core.windows.net
User-Agent: Go/go1.22.2 (amd64-linux) go-autorest/v14.2.1
Content-Length: 11
X-Ms-Blob-Type: BlockBlob
X-Ms-Version: 2020-08-04: timestamp=2024-05-03T10:11:12.400+0200
2024-05-03T10:11:12.600+0200 [DEBUG] provider.terraform-provider-azurerm_v3.101.0_x5: AzureRM Response for https://stapps01.blob.core.windows.net/uploads/test123.txt: 
HTTP/1.1 403 This request is not authorized to perform this operation.
Content-Length: 246
Content-Type: application/xml
Date: Fri, 03 May 2024 08:11:12 GMT
X-Ms-Error-Code: AuthorizationFailure

<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationFailure</Code><Message>This request is not authorized to perform this operation.
RequestId:0b8f2c11-801e-0012-4c1d-9d3b7a000000
Time:2024-05-03T08:11:12.5987654Z</Message></Error>: timestamp=2024-05-03T10:11:12.600+0200`;

describe("Terraform's TF_LOG=DEBUG dumps", () => {
  it("the backend's: the request it dumped and the answer, the credential said to be unseen", () => {
    const exchange = parseRequestCapture(BACKEND, "tf.log");
    expect(exchange.format).toBe("terraform-debug-log");
    expect(exchange.request.method).toBe("GET");
    expect(exchange.request.url).toBe(
      "https://stplatformstate01.blob.core.windows.net/tfstate?comp=list&prefix=prod.tfstateenv%3A&restype=container",
    );
    expect(exchange.response?.status).toBe(403);
    expect(exchange.credentialNotShown).toMatch(/before its credential is added/);
    const report = explainCapture(BACKEND, undefined, {}).primary!;
    expect(report.verdict.decision).toBe("rbac");
    expect(report.findings.map((f) => f.id)).toContain("terraform-settings");
  });

  it("the role fix covers what Terraform does with its state, not only the listing that failed", () => {
    const remedy = remedyForDoctorReport(explainCapture(BACKEND, undefined, {}).primary!)!;
    expect(remedy.kind).toBe("assign-role");
    expect(remedy.change).toContain("Storage Blob Data Contributor");
    expect(remedy.whyNarrowest).toMatch(/the caller runs beside them \(GetBlobProperties, GetBlob, PutBlob/);
    // The same listing by another client: the role for what failed.
    const session = [
      "GET /tfstate?comp=list&restype=container HTTP/1.1",
      "Host: stplatformstate01.blob.core.windows.net",
      "Authorization: Bearer REDACTED",
      "x-ms-version: 2023-11-03",
      "",
      "HTTP/1.1 403 This request is not authorized to perform this operation using this permission.",
      "x-ms-error-code: AuthorizationPermissionMismatch",
      "x-ms-request-id: 71c0f2aa-701e-0056-6d60-34200a000001",
      "",
    ].join("\n");
    expect(remedyForDoctorReport(explainCapture(session, undefined, {}).primary!)!.change).toContain(
      "Storage Blob Data Reader",
    );
  });

  it("the provider's: the last refused call (not the 404 before it), each dump's timestamp tail read off", () => {
    const exchange = parseRequestCapture(PROVIDER, "tf.log");
    expect(exchange.request.method).toBe("PUT");
    expect(exchange.request.headers).toContainEqual({ name: "X-Ms-Version", value: "2020-08-04" });
    expect(storageErrorOf(exchange.response)).toMatchObject({
      code: "AuthorizationFailure",
      timeMs: Date.parse("2024-05-03T08:11:12.5987654Z"),
    });
    expect(storageErrorOf(parseResponseCapture(PROVIDER, "tf.log")).code).toBe("AuthorizationFailure");
    expect(explainCapture(PROVIDER, undefined, {}).primary!.verdict.decision).toBe("network");
  });

  it("from an Azure Pipelines log, each line after its time stamp, and in the dashboard's page", () => {
    const stamped = BACKEND.split("\n")
      .map((l) => `2024-02-01T08:14:03.0000000Z ${l}`)
      .join("\n");
    expect(explainCapture(stamped, undefined, {}).primary!.verdict.decision).toBe("rbac");
    const pasted = diagnosePaste({ request: BACKEND });
    expect(pasted.ok && pasted.report.verdict.decision).toBe("rbac");
  });
});
