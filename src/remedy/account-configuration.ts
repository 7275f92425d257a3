import type { Incident, Remedy } from "../model/incident.js";
import { command, type RemedyContext } from "./context.js";
import { sh } from "./shell.js";

/**
 * InsufficientAccountPermissions: the account's own configuration refuses the operation for every
 * caller, whatever its credential. The logs cannot say which setting; the one thing they can prove is a
 * request sent to the read-only secondary endpoint, and the commands read the settings that decide.
 */
export function accountConfigurationRemedy(incident: Incident, _ctx: RemedyContext): Remedy {
  const secondaryHost = incident.sampleUris
    .map((u) => hostOf(u))
    .find((h) => h?.toLowerCase().startsWith(`${incident.account.toLowerCase()}-secondary.`));
  const change = secondaryHost
    ? `The failing requests go to the secondary endpoint ${secondaryHost}, which is read-only and answers reads only when ${incident.account} is RA-GRS or RA-GZRS: send writes to the primary endpoint, and read from the secondary only with read access geo-redundancy.`
    : `Find which setting of ${incident.account} refuses ${incident.operations.join(", ")} for every caller (its kind, its redundancy, a change to the account before onset) and change that setting, not the callers' credentials.`;
  return {
    kind: "check-account-configuration",
    change,
    commands: [
      command(
        "Read the settings that decide which operations the account accepts: kind, redundancy (secondary reads need RA-GRS or RA-GZRS), hierarchical namespace, and whether the secondary is available.",
        `az storage account show --name ${sh(incident.account)} --query "{kind:kind, sku:sku.name, hierarchicalNamespace:isHnsEnabled, secondary:statusOfSecondary, provisioningState:provisioningState}" --output table`,
      ),
      command(
        "List the changes to the account in the last day: a storageAccounts/write shortly before onset names who changed a setting.",
        `az monitor activity-log list --resource-id "$(az storage account show --name ${sh(incident.account)} --query id --output tsv)" --offset 1d --query "[?operationName.value=='Microsoft.Storage/storageAccounts/write'].{time:eventTimestamp, caller:caller, status:status.value}" --output table`,
      ),
    ],
    whyNarrowest:
      "Nothing is changed until the setting that refuses the operation is known: the account refuses it for every caller, so no key, SAS, role or firewall rule of one caller can be the fix.",
    wrongIf: [
      "Rotating keys or adding RBAC roles changes nothing: the account refuses the operation whatever the credential.",
      "Switching the account's redundancy changes its cost and replication: only for secondary reads, and only when reading from the secondary is wanted.",
    ],
    facts: [
      { label: "Operations", value: incident.operations.join(", ") },
      ...(secondaryHost ? [{ label: "Endpoint", value: `${secondaryHost} (secondary, read-only)` }] : []),
    ],
  };
}

function hostOf(uri: string): string | undefined {
  try {
    return new URL(uri).hostname;
  } catch {
    return undefined;
  }
}
