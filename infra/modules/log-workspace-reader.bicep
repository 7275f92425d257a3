// Log Analytics Reader for the triage identity on one existing workspace that holds Storage*Logs and
// AzureActivity. Deployed at the workspace's own resource group, which may be in another subscription.

@description('Name of the existing Log Analytics workspace.')
param workspaceName string

@description('Resource id of the function app identity; names the role assignments (known before deployment, unlike the object id).')
param principalResourceId string

@description('Object id of the function app identity.')
param principalId string

// Log Analytics Reader: query all tables of this workspace; no write, no other workspaces.
var logAnalyticsReaderRoleId = '73c42c96-874c-492b-b04d-ab87d138a893'

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: workspaceName
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalResourceId, logAnalyticsReaderRoleId)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', logAnalyticsReaderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

@description('Workspace (customer) id GUID that the Logs query API takes.')
output customerId string = workspace.properties.customerId
