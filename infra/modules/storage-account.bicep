// A StorageV2 account that only accepts Entra ID (no shared keys, no public blobs), with optional blob
// containers. Used twice: the function host's own storage (deployment package, timer leases) and the
// triage state store (tables).

@description('Storage account name: 3-24 lowercase letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the account.')
param location string

@description('Tags applied to the account.')
param tags resourceTags

@description('Blob containers to create (e.g. the Flex deployment-package container).')
param blobContainerNames string[] = []

@description('Public network access: Disabled when the account is reached only through private endpoints.')
param publicNetworkAccess 'Enabled' | 'Disabled' = 'Enabled'

type resourceTags = { *: string }

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    // Explicit, as "prevent cross tenant object replication" policies check the property itself.
    allowCrossTenantReplication: false
    // Identity-only: the app authenticates with its managed identity, so account keys are never needed.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: { defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny', bypass: 'AzureServices' }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = if (!empty(blobContainerNames)) {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = [
  for containerName in blobContainerNames: {
    parent: blobService
    name: containerName
    properties: { publicAccess: 'None' }
  }
]

@description('Resource id of the account.')
output id string = account.id

@description('Name of the account.')
output name string = account.name

@description('Blob endpoint, ending with a slash.')
output blobEndpoint string = account.properties.primaryEndpoints.blob

@description('Table endpoint, ending with a slash.')
output tableEndpoint string = account.properties.primaryEndpoints.table
