import { CaptureError } from "./exchange.js";

/**
 * Azure Resource Manager's refusal, pasted as if it were Storage's: `(AuthorizationFailed) The client '…'
 * with object id '…' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/
 * listKeys/action' over scope '…'`, as az, Azure PowerShell, the Kubernetes CSI drivers and the Azure
 * SDKs' management clients print it. AuthorizationFailed (ARM's, with a d) is not Storage's
 * AuthorizationFailure: no Storage request was made, so nothing about a key, SAS, token or firewall is in
 * it. Most often the caller was listing the account's keys to sign with Shared Key.
 */
const ARM_REFUSAL =
  /does not have authorization to perform action '([^']+)' over scope '([^']+)'(?: or the scope is invalid)?/i;
const OBJECT_ID = /with object id '([0-9a-f-]{36})'/i;

export function armRefusal(text: string, where: string): CaptureError | undefined {
  const m = ARM_REFUSAL.exec(text);
  if (!m) return undefined;
  const [, action, scope] = m as unknown as [string, string, string];
  const oid = OBJECT_ID.exec(text)?.[1];
  const assignee = oid ? `--assignee-object-id ${oid}` : "--assignee <principal>";
  const fix = /\/listKeys\/action$/i.test(action)
    ? `The caller was listing the account's keys to sign with Shared Key. Better: sign in to Storage with Microsoft Entra ID instead (az … --auth-mode login, Terraform storage_use_azuread = true or use_azuread_auth = true, the SDKs' DefaultAzureCredential) and give the identity a data role on the data it uses. To keep using keys, grant Reader and Data Access (list keys and read the account) on it: az role assignment create ${assignee} --role "Reader and Data Access" --scope '${scope}'`
    : `Grant the identity a role whose actions include ${action} at that scope (a …/read action: Reader): az role assignment create ${assignee} --role <role> --scope '${scope}'`;
  return new CaptureError(
    `${where}: this is Azure Resource Manager's refusal (AuthorizationFailed), not Storage's (AuthorizationFailure): ${oid ? `the identity ${oid}` : "the caller"} may not perform ${action} on ${scope}, so no Storage request was made and nothing in it is about a Storage key, SAS, token or firewall. ${fix}`,
  );
}
