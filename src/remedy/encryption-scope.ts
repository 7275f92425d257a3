import type { Incident, Remedy } from "../model/incident.js";
import { accountRef, command, failingContainers, type RemedyContext } from "./context.js";
import { placeholder, sh } from "./shell.js";

/**
 * RequestForbiddenByContainerEncryptionPolicy: the container enforces its default encryption scope and
 * the callers ask for another (x-ms-encryption-scope). The fix is in the callers; the container's
 * policy is set when it is created and is what its owner chose.
 */
export function encryptionScopeRemedy(incident: Incident, ctx: RemedyContext): Remedy {
  const account = accountRef(incident, ctx);
  const containers = failingContainers(incident, ctx.evidence);
  const resourceGroup = account.known ? sh(account.resourceGroup) : account.resourceGroup;
  const shown = containers.length ? containers.slice(0, 5) : [placeholder("container")];
  return {
    kind: "use-container-encryption-scope",
    change: `Make the callers writing to ${containers.length ? containers.join(", ") : "the container"} in ${incident.account} stop naming another encryption scope: drop x-ms-encryption-scope (the SDKs' encryption_scope / EncryptionScope option), or name the container's default scope.`,
    commands: shown.map((c) =>
      command(
        `Read the default encryption scope ${containers.length ? `container ${c}` : "the container"} enforces: the callers must use it or none.`,
        `az storage container-rm show --storage-account ${sh(incident.account)} --resource-group ${resourceGroup} --name ${containers.length ? sh(c) : c} --query "{defaultEncryptionScope:defaultEncryptionScope, denyEncryptionScopeOverride:denyEncryptionScopeOverride}" --output table`,
        containers.length
          ? []
          : [
              {
                name: "container",
                reason:
                  "the logs kept no container of these failures: the container in the failing request's URL",
              },
            ],
      ),
    ),
    whyNarrowest:
      "Only the callers' requests change: the container keeps the encryption its owner enforces, and no key, role, SAS or network rule is touched.",
    wrongIf: [
      "A customer-managed key behind the scope was disabled or lost: then the scope itself is unusable and its key in Key Vault must be restored.",
      "Creating the container again without the policy, to let every writer pick its own scope, undoes a deliberate encryption rule.",
      "Rotating keys or adding RBAC roles changes nothing: this is an encryption policy, not a credential or a permission.",
    ],
    facts: [
      ...containers.map((c) => ({ label: "Container", value: c })),
      { label: "Operations", value: incident.operations.join(", ") },
    ],
  };
}
