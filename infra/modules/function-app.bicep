// Flex Consumption (FC1) plan and a Linux function app on Node 22 that runs as a user-assigned managed
// identity: host storage, deployment package, Application Insights and Key Vault references all use it,
// so the app holds no keys or connection strings.

@description('Function app name (also the host name prefix).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region of the plan and the app.')
param location string

@description('Tags applied to the plan and the app.')
param tags resourceTags

@description('Resource id of the user-assigned managed identity the app runs as.')
param identityResourceId string

@description('Client id of that identity (AZURE_CLIENT_ID, AzureWebJobsStorage__clientId).')
param identityClientId string

@description('Name of the host storage account (AzureWebJobsStorage, timer leases).')
param hostStorageAccountName string

@description('Blob endpoint of the account that holds the deployment package container.')
param deploymentBlobEndpoint string

@description('Container that holds the deployment package.')
param deploymentContainerName string

@description('Name of the Application Insights component in this resource group.')
param appInsightsName string

@description('Instance memory in MB.')
param instanceMemoryMB 512 | 2048 | 4096

@description('Upper bound on instances (Flex minimum is 40); bounds cost if something loops.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Application settings the triage code reads (TRIAGE_*); Key Vault references allowed.')
param triageSettings { *: string }

@description('Workspace (customer) id GUIDs the triage queries, joined into TRIAGE_WORKSPACE_IDS.')
param logWorkspaceCustomerIds string[]

@description('Subnet for outbound VNet integration (delegated to Microsoft.App/environments); empty: no integration.')
param virtualNetworkSubnetId string = ''

@description('Inbound access to the app\'s endpoints (dashboard, HTTP API, deployment): Disabled when they are reached through a private endpoint only.')
param publicNetworkAccess 'Enabled' | 'Disabled' = 'Enabled'

@description('azd service name: `azd deploy` finds the app by the azd-service-name tag.')
param azdServiceName string = 'triage'

type resourceTags = { *: string }

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

// Settings Flex rejects (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE,
// WEBSITE_CONTENTSHARE, WEBSITE_NODE_DEFAULT_VERSION, …) are deliberately absent: functionAppConfig
// carries the runtime and the package location instead.
var platformSettingList = [
  { name: 'AzureWebJobsStorage__accountName', value: hostStorageAccountName }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
  // Local auth is disabled on the component, so telemetry is sent with the identity's Entra token.
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
]
// Empty settings are left out: the triage treats a present-but-empty source as a configuration error.
var allTriageSettings = toObject(
  filter(items(union(triageSettings, { TRIAGE_WORKSPACE_IDS: join(logWorkspaceCustomerIds, ',') })), setting => !empty(setting.value)),
  setting => setting.key,
  setting => setting.value
)
var triageSettingList = [for setting in items(allTriageSettings): { name: setting.key, value: setting.value }]

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': azdServiceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityResourceId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: publicNetworkAccess
    keyVaultReferenceIdentity: identityResourceId
    // With integration, all outbound traffic (storage, Key Vault references, the deployment package) goes
    // through the network, so private endpoints and their DNS zones are used.
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    outboundVnetRouting: empty(virtualNetworkSubnetId) ? null : { allTraffic: true }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: concat(platformSettingList, triageSettingList)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${deploymentBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'node', version: '22' }
    }
  }
}

// The dashboard link in Teams cards needs the app's own host name, which exists only once the site does;
// this resource re-states every setting (an appsettings resource replaces the whole set) plus that link.
resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: union(toObject(platformSettingList, setting => setting.name, setting => setting.value), allTriageSettings, {
    TRIAGE_DASHBOARD_URL: 'https://${site.properties.defaultHostName}/api/dashboard'
  })
}

// Publishing uses Entra ID (az CLI one-deploy); basic-auth publishing credentials stay off.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

@description('Name of the function app.')
output name string = site.name

@description('Resource id of the function app (the target of its inbound private endpoint).')
output id string = site.id

@description('Default host name of the function app.')
output defaultHostName string = site.properties.defaultHostName
