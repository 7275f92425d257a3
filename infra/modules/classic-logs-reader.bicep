// Storage Blob Data Reader for the triage identity on an existing account that logs with classic Storage
// Analytics (the $logs container). Scoped to that one account, deployed at its resource group.

@description('Name of the existing storage account whose $logs the triage reads.')
param storageAccountName string

@description('Resource id of the function app identity; names the role assignments (known before deployment, unlike the object id).')
param principalResourceId string

@description('Object id of the function app identity.')
param principalId string

var storageBlobDataReaderRoleId = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalResourceId, storageBlobDataReaderRoleId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReaderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

@description('Blob endpoint of the account (one entry of TRIAGE_CLASSIC_ACCOUNT_URLS).')
output blobEndpoint string = account.properties.primaryEndpoints.blob
