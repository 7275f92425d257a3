import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codeOfStatusMessage, ERROR_CODES } from "../../src/codes/error-codes.js";
import { diagnosePaste } from "../../src/dashboard/diagnose-engine.js";
import { parseRequestCapture } from "../../src/doctor/capture.js";
import { explainCapture } from "../../src/doctor/explain.js";
import { remedyForDoctorReport } from "../../src/remedy/from-doctor.js";
import { runCli } from "./cli.js";

/**
 * Terraform's errors for Storage data-plane calls, in the shapes platform teams paste: the current
 * provider and backend (go-azure-sdk: `unexpected status 403 (…) with Code: …`, or `with EOF` for an
 * answer without a body), the older autorest one (`containers.Client#…: Failure responding to request`),
 * each in Terraform's `│` frame or bare, as a CI log keeps it.
 */

const frame = (lines: string[]) => ["╷", ...lines.map((l) => `│ ${l}`.trimEnd()), "╵"].join("\n");

const GO_ACCOUNT = (name: string, subdomain = "blob") =>
  `(Account "Account \\"${name}\\" (IsEdgeZone false / ZoneName \\"\\" / Subdomain Type \\"${subdomain}\\" / DomainSuffix \\"core.windows.net\\")")`;

const CASES = {
  /** The runner is outside the account's firewall: the provider's existence check is a HEAD, so `with EOF`. */
  firewallHead: frame([
    `Error: checking for existing Container "tfstate" ${GO_ACCOUNT("stplatformstate01")}: executing request: unexpected status 403 (403 This request is not authorized to perform this operation.) with EOF`,
    "",
    "  with azurerm_storage_container.tfstate,",
    '  on storage.tf line 31, in resource "azurerm_storage_container" "tfstate":',
    '  31: resource "azurerm_storage_container" "tfstate" {',
    "",
  ]),
  /** allowSharedKeyAccess=false while the provider reads the queue properties with the account key. */
  keyless: frame([
    'Error: retrieving queue properties for Storage Account (Subscription: "6b1d2c3e-0000-4000-8000-00000000aa01"',
    'Resource Group Name: "rg-platform"',
    'Storage Account Name: "stplatformlogs02"): executing request: unexpected status 403 (403 Key based authentication is not permitted on this storage account.) with KeyBasedAuthenticationNotPermitted: Key based authentication is not permitted on this storage account.',
    "RequestId:4b7700d9-4003-0064-35a7-237807000000",
    "Time:2026-12-05T05:41:47.5924267Z",
    "",
  ]),
  /** use_azuread_auth without a data role, as the autorest-era backend printed it (one line in a CI log). */
  rbacAutorest:
    'Error: retrieving Container "tfstate" (Account "stplatformstate01" / Resource Group "rg-state"): containers.Client#GetProperties: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="AuthorizationPermissionMismatch" Message="This request is not authorized to perform this operation using this permission.\\nRequestId:981b30a7-d01e-00b2-46b4-b4ee7d000000\\nTime:2026-12-04T22:03:03.0143322Z"',
  /** The state backend names no account at all. */
  backend: frame([
    "Error: Failed to get existing workspaces: listing blobs: executing request: unexpected status 403 (403 This request is not authorized to perform this operation.) with AuthorizationFailure: This request is not authorized to perform this operation.",
    "RequestId:c7b54bb5-001e-003e-188f-a8467c000000",
    "Time:2026-12-05T08:50:50.9981270Z",
    "",
    "",
  ]),
  /** A blob the provider reads back, refused by the firewall (a HEAD: `with EOF`). */
  blob: `Error: retrieving properties for Blob "scripts/init.sh" ${GO_ACCOUNT("stscripts03")} / Container Name "scripts"): executing request: unexpected status 403 (403 This request is not authorized to perform this operation.) with EOF`,
};

describe("Terraform's Storage errors", () => {
  it("rebuilds the request from the names the text gives, and the answer from its status, code and ids", () => {
    const fw = parseRequestCapture(CASES.firewallHead, "tf");
    expect(fw.format).toBe("terraform-error");
    expect(fw.request).toMatchObject({
      method: "GET",
      url: "https://stplatformstate01.blob.core.windows.net/tfstate?restype=container",
    });
    // `with EOF`: no code in the text; the status text is AuthorizationFailure's message.
    expect(fw.response?.headers).toContainEqual({ name: "x-ms-error-code", value: "AuthorizationFailure" });
    expect(fw.credentialNotShown).toContain("rebuilt from those names");

    const keyless = parseRequestCapture(CASES.keyless, "tf");
    expect(keyless.request.url).toBe(
      "https://stplatformlogs02.queue.core.windows.net/?restype=service&comp=properties",
    );
    expect(keyless.response?.headers).toContainEqual({
      name: "x-ms-request-id",
      value: "4b7700d9-4003-0064-35a7-237807000000",
    });

    const blob = parseRequestCapture(CASES.blob, "tf");
    expect(blob.request).toMatchObject({
      method: "HEAD",
      url: "https://stscripts03.blob.core.windows.net/scripts/scripts%2Finit.sh",
    });
    expect(blob.response?.headers).toContainEqual({
      name: "x-ms-error-code",
      value: "AuthorizationFailure",
    });
  });

  it.each([
    ["firewallHead", "network", "GetContainerProperties", "allow-network"],
    ["keyless", "policy", "GetQueueServiceProperties", "move-to-entra-id"],
    ["rbacAutorest", "rbac", "GetContainerProperties", "assign-role"],
    ["blob", "network", "GetBlobProperties", "allow-network"],
  ] as const)("%s: %s for %s, remedy %s", (name, decision, operation, remedy) => {
    const explained = explainCapture(CASES[name], undefined, {});
    const report = explained.primary!;
    expect(report.verdict.decision).toBe(decision);
    expect(report.request.operation).toBe(operation);
    expect(report.findings.map((f) => f.id)).toContain("auth-not-shown");
    // Where Terraform's own side of the fix is: its settings, named for the code it met.
    const settings = report.findings.find((f) => f.id === "terraform-settings")!;
    expect(settings.decision).toBe(decision);
    expect(settings.detail).toMatch(
      {
        network: /egress address/,
        policy: /storage_use_azuread = true/,
        rbac: /Storage Blob Data Contributor/,
      }[decision],
    );
    expect(remedyForDoctorReport(report)?.kind).toBe(remedy);
  });

  it("says a refusal to list the account's keys is Azure Resource Manager's, and where Terraform's fix is", () => {
    const listKeys =
      "Error: Listing Keys for Storage Account \"stplatformstate01\" (Resource Group \"rg-state\"): storage.AccountsClient#ListKeys: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code=\"AuthorizationFailed\" Message=\"The client '0f1e2d3c-0000-4000-8000-00000000ab01' with object id '0f1e2d3c-0000-4000-8000-00000000ab01' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/listKeys/action' over scope '/subscriptions/6b1d2c3e-0000-4000-8000-00000000aa01/resourceGroups/rg-state/providers/Microsoft.Storage/storageAccounts/stplatformstate01' or the scope is invalid.\"";
    expect(() => parseRequestCapture(listKeys, "tf")).toThrow(
      /Azure Resource Manager refused to list the account's keys .*storage_use_azuread = true/,
    );
  });

  it("asks for --account when the text names none, and takes it", () => {
    expect(() => parseRequestCapture(CASES.backend, "tf")).toThrow(/give the account \(--account/);
    const report = explainCapture(CASES.backend, undefined, { account: "stplatformstate01" }).primary!;
    expect(report.request.account).toBe("stplatformstate01");
    expect(report.verdict.decision).toBe("network");
    // The dashboard's page: the same engine, its Account field the same hint.
    const pasted = diagnosePaste({ request: CASES.backend, account: "stplatformstate01" });
    expect(pasted.ok && pasted.report.verdict.decision).toBe("network");
  });

  it("names the caller's address in the firewall fix when --client-ip gives it, and asks for it when not", () => {
    const without = remedyForDoctorReport(explainCapture(CASES.firewallHead, undefined, {}).primary!)!;
    expect(without.commands[0]!.command).toContain("--ip-address <caller-egress-ip>");
    const told = explainCapture(CASES.firewallHead, undefined, { clientIp: "203.0.113.7" }).primary!;
    expect(remedyForDoctorReport(told)!.commands[0]!.command).toContain("--ip-address 203.0.113.7");
  });

  const dir = mkdtempSync(join(tmpdir(), "tf-error-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("reads the same error from a GitHub Actions or Azure Pipelines log, each line after its time stamp", () => {
    const stamped = CASES.firewallHead
      .split("\n")
      .map((l) => `2026-12-05T05:41:47.1234567Z ${l}`)
      .join("\n");
    expect(parseRequestCapture(stamped, "ci.log")).toEqual(parseRequestCapture(CASES.firewallHead, "ci.log"));
  });

  it("reads from a file through the CLI, and says the request is rebuilt", async () => {
    const file = join(dir, "apply.txt");
    writeFileSync(file, CASES.firewallHead);
    const { code, stdout } = await runCli(["explain", "--request", file]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      "Request:  GET https://stplatformstate01.blob.core.windows.net/tfstate?restype=container",
    );
    expect(stdout).toContain("the request shown is rebuilt from those names");
    expect(stdout).toContain("Verdict: network.");
  });
});

describe("codeOfStatusMessage: a status text names its code only when it is one code's message", () => {
  it.each([
    ["This request is not authorized to perform this operation.", "AuthorizationFailure"],
    [
      "This request is not authorized to perform this operation using this permission.",
      "AuthorizationPermissionMismatch",
    ],
    [
      "This request is not authorized to perform this operation using this source IP 203.0.113.9.",
      "AuthorizationSourceIPMismatch",
    ],
    [
      "Key based authentication is not permitted on this storage account.",
      "KeyBasedAuthenticationNotPermitted",
    ],
    [
      "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
      "AuthenticationFailed",
    ],
    // 401's text is the same for InvalidAuthenticationInfo and NoAuthenticationInformation: no code.
    [
      "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
      undefined,
    ],
    ["Forbidden", undefined],
  ])("%s → %s", (text, code) => {
    expect(codeOfStatusMessage(text)).toBe(code);
  });

  it("no two codes share a message", () => {
    const messages = ERROR_CODES.flatMap((e) => (e.message ? [e.message.toLowerCase()] : []));
    expect(new Set(messages).size).toBe(messages.length);
  });
});
