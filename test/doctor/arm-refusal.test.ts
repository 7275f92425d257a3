import { describe, expect, it } from "vitest";
import { CaptureError, parseRequestCapture, parseResponseCapture } from "../../src/doctor/capture.js";

/**
 * Azure Resource Manager's AuthorizationFailed (with a d), pasted as if Storage had refused: what az,
 * Azure PowerShell and the Kubernetes CSI drivers print when the caller may not list the account's keys
 * or read a share through the management plane.
 */
const SCOPE =
  "/subscriptions/6b1d2c3e-0000-4000-8000-00000000aa01/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stdata01";
const OID = "c0a8e5f2-7e4b-4b43-9a4e-1f2d3c4b5a69";
const refusal = (action: string) =>
  `The client '${OID}' with object id '${OID}' does not have authorization to perform action '${action}' over scope '${SCOPE}' or the scope is invalid. If access was recently granted, please refresh your credentials.`;

const AZ = `ERROR: (AuthorizationFailed) ${refusal("Microsoft.Storage/storageAccounts/listKeys/action")}\nCode: AuthorizationFailed\nMessage: ${refusal("Microsoft.Storage/storageAccounts/listKeys/action")}\n`;
const POWERSHELL = `Get-AzStorageAccountKey: ${refusal("Microsoft.Storage/storageAccounts/listKeys/action")}`;
const CSI = `MountVolume.MountDevice failed for volume "pv-share" : rpc error: code = Internal desc = storage.FileSharesClient#Get: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="AuthorizationFailed" Message="${refusal("Microsoft.Storage/storageAccounts/fileServices/shares/read")}"`;

describe("Azure Resource Manager's refusal given as a Storage capture", () => {
  it.each([
    ["az", AZ],
    ["Azure PowerShell", POWERSHELL],
  ])(
    "%s listing keys: not Storage's, no Storage request made, Entra ID or a role that lists keys",
    (_tool, text) => {
      for (const read of [
        () => parseRequestCapture(text, "pasted.txt"),
        () => parseResponseCapture(text, "pasted.txt"),
      ]) {
        expect(read).toThrow(CaptureError);
        expect(read).toThrow(
          /pasted\.txt: this is Azure Resource Manager's refusal \(AuthorizationFailed\), not Storage's/,
        );
        expect(read).toThrow(/no Storage request was made/);
        expect(read).toThrow(/--auth-mode login/);
        expect(read).toThrow(
          new RegExp(
            `az role assignment create --assignee-object-id ${OID} --role "Reader and Data Access" --scope '${SCOPE}'`,
          ),
        );
      }
    },
  );

  it("a CSI driver reading a share through the management plane: the action and scope it needs", () => {
    expect(() => parseRequestCapture(CSI, "event.txt")).toThrow(
      /may not perform Microsoft\.Storage\/storageAccounts\/fileServices\/shares\/read on \/subscriptions\/.*\(a …\/read action: Reader\)/,
    );
  });

  it("Storage's own AuthorizationFailure is still read as Storage's", () => {
    const answer = parseResponseCapture(
      "HTTP/1.1 403 This request is not authorized to perform this operation.\nx-ms-error-code: AuthorizationFailure\n\n",
      "res.txt",
    );
    expect(answer.status).toBe(403);
  });
});
