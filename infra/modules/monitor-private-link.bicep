// Adds the app's Azure Monitor resources (the workspace it created, Application Insights, the data
// collection endpoint) to an existing Azure Monitor Private Link Scope (AMPLS), so that with their public
// access off, queries, telemetry and incident rows go through the scope's private endpoint. Deployed in the
// scope's resource group, which is usually a central one.

@description('Name of the existing Azure Monitor Private Link Scope in this resource group.')
param scopeName string

@description('Log Analytics workspace the template created; empty: none (an existing one is the owner\'s to scope).')
param workspaceResourceId string = ''

@description('Application Insights component of the app.')
param appInsightsResourceId string

@description('Data collection endpoint of the incident table; empty: none.')
param dataCollectionEndpointId string = ''

resource scope 'Microsoft.Insights/privateLinkScopes@2021-09-01' existing = {
  name: scopeName
}

// One name per linked resource, stable across deployments.
resource workspaceScoped 'Microsoft.Insights/privateLinkScopes/scopedResources@2021-09-01' = if (!empty(workspaceResourceId)) {
  parent: scope
  name: 'authtriage-${uniqueString(workspaceResourceId)}'
  properties: { linkedResourceId: workspaceResourceId }
}

resource appInsightsScoped 'Microsoft.Insights/privateLinkScopes/scopedResources@2021-09-01' = {
  parent: scope
  name: 'authtriage-${uniqueString(appInsightsResourceId)}'
  properties: { linkedResourceId: appInsightsResourceId }
}

resource endpointScoped 'Microsoft.Insights/privateLinkScopes/scopedResources@2021-09-01' = if (!empty(dataCollectionEndpointId)) {
  parent: scope
  name: 'authtriage-${uniqueString(dataCollectionEndpointId)}'
  properties: { linkedResourceId: dataCollectionEndpointId }
}
