import { callerCountText } from "../model/caller-count.js";
import type { Incident, Remedy, RemedyCommand } from "../model/incident.js";
import { chooseRoles } from "../permissions/index.js";
import { accountRef, command, fmtUtc, type RemedyContext } from "./context.js";
import { narrowestScope, operationsOf } from "./rbac.js";
import { placeholder, sh } from "./shell.js";

/** KeyBasedAuthenticationNotPermitted: move the callers to Entra ID; re-enabling Shared Key is the named risky path. */
export function sharedKeyDisabledRemedy(incident: Incident, ctx: RemedyContext): Remedy {
  const account = accountRef(incident, ctx);
  const choice = chooseRoles(operationsOf(incident));
  const facts: Remedy["facts"] = incident.callers.slice(0, 5).map((c) => ({
    label: "Caller",
    value: [
      c.ip,
      c.keySlot && `signs with ${c.keySlot}`,
      c.userAgent && `"${c.userAgent}"`,
      `${callerCountText(c)} failure(s)`,
    ]
      .filter(Boolean)
      .join(", "),
  }));
  const change = incident.changes.find((c) => c.kind === "shared-key-disabled");
  if (change)
    facts.push({
      label: "Changed",
      value: `allowSharedKeyAccess=false at ${fmtUtc(change.time)} by ${change.caller}`,
    });
  const commands: RemedyCommand[] = [];
  const functionsHost = incident.callers.some((c) => /Azure-Functions-Host/i.test(c.userAgent ?? ""));
  for (const c of choice.choices) {
    const scope = narrowestScope(incident, c.service, account, ctx);
    facts.push({
      label: `Role (${c.service})`,
      value: `${c.role.roleName} for ${c.operations.join(", ")} on ${scope.label}`,
    });
    commands.push(
      command(
        `Grant ${c.role.roleName} on ${scope.label} to the identity the callers will use instead of the key.`,
        `az role assignment create --assignee-object-id ${placeholder("caller-identity-object-id")} --assignee-principal-type ServicePrincipal --role ${c.role.id} --scope ${scope.scope}`,
        [
          {
            name: "caller-identity-object-id",
            reason:
              "key-signed requests carry no identity; use the principal id of the caller's managed identity (az identity show … --query principalId, or the app's system-assigned identity)",
          },
        ],
      ),
    );
  }
  commands.push(
    command(
      "Re-enable Shared Key for every caller of the account until the callers above are moved; turn it off again afterwards.",
      `az storage account update --name ${sh(incident.account)} --resource-group ${account.known ? sh(account.resourceGroup) : account.resourceGroup} --allow-shared-key-access true`,
      [],
      true,
    ),
  );
  const roles = choice.choices.map((c) => c.role.roleName).join(" and ");
  return {
    kind: "move-to-entra-id",
    change: `Move the key-signed callers to Microsoft Entra ID${roles ? ` with ${roles}` : ""}${incident.authType === "SAS" ? " (or a user delegation SAS)" : ""}${functionsHost ? "; the Functions host needs an identity-based AzureWebJobsStorage connection (AzureWebJobsStorage__accountName)" : ""}. Re-enabling Shared Key is only a temporary, risky stopgap.`,
    commands,
    bicep: [
      "// Keep Shared Key off; grant the caller's identity its data role instead.",
      "resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {",
      `  name: '${incident.account.replace(/'/g, "")}'`,
      "}",
      ...choice.choices.map((c) =>
        [
          `resource ${c.service}Role 'Microsoft.Authorization/roleAssignments@2022-04-01' = {`,
          `  name: guid(account.id, callerPrincipalId, '${c.role.id}')`,
          "  scope: account",
          "  properties: {",
          "    principalId: callerPrincipalId // the caller's managed identity",
          "    principalType: 'ServicePrincipal'",
          `    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${c.role.id}') // ${c.role.roleName}`,
          "  }",
          "}",
        ].join("\n"),
      ),
    ].join("\n"),
    whyNarrowest: `Each caller gets only the data role its own operations (${incident.operations.join(", ")}) need, and the account keeps Shared Key off for everyone else.`,
    wrongIf: [
      "Re-enabling Shared Key reopens key access for every holder of the keys, not just these callers.",
      "A caller cannot use Microsoft Entra ID (an old SDK or a third party): it then needs a user delegation SAS, not the key.",
      "Rotating keys does not help: no key is accepted while Shared Key is off.",
    ],
    facts,
  };
}
