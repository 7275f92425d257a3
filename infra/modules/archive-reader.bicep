// Storage Blob Data Reader for the triage identity on an existing account that holds archived Storage
// logs (the insights-logs-* containers). Deployed at that account's resource group, possibly elsewhere.

@description('Name of the existing archive storage account.')
param storageAccountName string

@description('Resource id of the function app identity; names the role assignments (known before deployment, unlike the object id).')
param principalResourceId string

@description('Object id of the function app identity.')
param principalId string

var storageBlobDataReaderRoleId = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'

resource archive 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(archive.id, principalResourceId, storageBlobDataReaderRoleId)
  scope: archive
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReaderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

@description('Blob endpoint of the archive account (TRIAGE_ARCHIVE_ACCOUNT_URL).')
output blobEndpoint string = archive.properties.primaryEndpoints.blob
