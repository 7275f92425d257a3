// An RBAC-mode Key Vault for the Teams webhook URL. The secret VALUE is never part of this template: it is
// set afterwards with `az keyvault secret set` (docs/deploy.md), so it never appears in parameters,
// parameter files, deployment history or outputs.

@description('Key Vault name: 3-24 letters, digits and hyphens, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the vault.')
param location string

@description('Tags applied to the vault.')
param tags resourceTags

@description('Name of the secret that holds the Teams Workflows webhook URL.')
param webhookSecretName string

@description('Principal (user or group object id) allowed to write the webhook secret (Key Vault Secrets Officer); empty grants nobody.')
param webhookEditorPrincipalId string

@description('Principal type of webhookEditorPrincipalId.')
param webhookEditorPrincipalType 'User' | 'Group' | 'ServicePrincipal'

@description('Public network access: Disabled when the vault is reached only through a private endpoint.')
param publicNetworkAccess 'Enabled' | 'Disabled' = 'Enabled'

type resourceTags = { *: string }

// Key Vault Secrets Officer: read and write secrets, nothing else (no keys, certificates or access policy).
var keyVaultSecretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: { defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny', bypass: 'AzureServices' }
  }
}

resource webhookEditor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(webhookEditorPrincipalId)) {
  name: guid(vault.id, webhookEditorPrincipalId, keyVaultSecretsOfficerRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficerRoleId)
    principalId: webhookEditorPrincipalId
    principalType: webhookEditorPrincipalType
  }
}

@description('Resource id of the vault.')
output id string = vault.id

@description('Name of the vault.')
output name string = vault.name

@description('Versionless URI of the webhook secret, for a Key Vault reference (rotations are picked up).')
output webhookSecretUri string = '${vault.properties.vaultUri}secrets/${webhookSecretName}/'
