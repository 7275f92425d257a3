// Storage Auth Triage: everything the timer function, its dashboard and the workbook need, in one resource
// group, plus read access to the log workspaces (and optionally an archive account) wherever they live.
// Local modules only: registry modules cannot be restored offline. Deploy: docs/deploy.md.
targetScope = 'resourceGroup'

@description('Azure region for every new resource. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@description('Short name used in every resource name (lowercase letters and digits; the first 8 go into storage and vault names).')
@minLength(3)
@maxLength(20)
param baseName string = 'authtriage'

@description('Tags applied to every new resource.')
param tags resourceTags = {}

@description('Resource id of an existing Log Analytics workspace for Application Insights, diagnostic settings and the workbook; empty creates a new workspace here.')
param existingLogAnalyticsWorkspaceId string = ''

@description('Retention in days of a newly created workspace (ignored with an existing one).')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Resource ids of the workspaces that hold StorageBlobLogs/QueueLogs/TableLogs/FileLogs and AzureActivity; the app reads them (Log Analytics Reader on each) unless it reads an archive. Empty means the workspace above.')
param storageLogWorkspaceIds string[] = []

@description('Resource id of a storage account that holds archived Storage logs (insights-logs-* containers). When set, the app reads this archive instead of workspaces (Storage Blob Data Reader on it). Empty: the app reads workspaces.')
param archiveStorageAccountId string = ''

@description('Resource ids of storage accounts that log with classic Storage Analytics ($logs). When set (and no archive is), the app reads their $logs instead of workspaces (Storage Blob Data Reader on each account). Empty: no classic logs.')
param classicLogStorageAccountIds string[] = []

@description('Existing storage accounts to triage: their resource logs are switched on and sent to the workspace above unless an entry says collectLogs: false.')
param diagnosticStorageAccounts diagnosedStorageAccount[] = []

@description('Export the subscription Activity Log to the workspace above (AzureActivity: without it no root cause is found). Turn off when the subscription already exports it to a workspace the app reads. Needs Monitoring Contributor on the subscription.')
param exportActivityLog bool = true

@description('NCRONTAB schedule (six fields, UTC) of the triage timer.')
param triageSchedule string = '0 */5 * * * *'

@description('Memory per Flex instance, in MB.')
param instanceMemoryMB 512 | 2048 | 4096 = 2048

@description('Most instances Flex may run at once (40 is the lowest Flex allows).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Object id of a user or group allowed to write the Teams webhook secret (Key Vault Secrets Officer on the vault); empty grants nobody.')
param webhookEditorPrincipalId string = ''

@description('Kind of principal webhookEditorPrincipalId is.')
param webhookEditorPrincipalType 'User' | 'Group' | 'ServicePrincipal' = 'User'

@description('More triage settings (non-secret), e.g. { TRIAGE_OPEN_THRESHOLD: \'10\', TRIAGE_LOOKBACK: \'1h\', TRIAGE_SILENCES: \'[…]\' }; see docs/timer.md.')
param triageOptions { *: string } = {}

@description('Deploy the Storage Auth Triage workbook.')
param deployWorkbook bool = true

@description('Private networking: the app joins a new virtual network (Flex VNet integration), host storage, state tables and Key Vault get private endpoints and private DNS zones, and their public network access is disabled. See docs/deploy.md for the log sources in this mode.')
param privateNetworking bool = false

@description('With privateNetworking: the app\'s own endpoint (dashboard, HTTP API, deployment) is private too: public network access off, an inbound private endpoint and the App Service private DNS zone. `azd deploy` must then run from a machine that reaches the network (docs/deploy.md).')
param privateDashboard bool = false

@description('With privateNetworking: resource id of an existing Azure Monitor Private Link Scope. The workspace this template creates, Application Insights and the incident table\'s data collection endpoint join it, and their public ingestion and query access is disabled. The scope\'s private endpoint must be reachable from the app\'s network (docs/deploy.md).')
param monitorPrivateLinkScopeId string = ''

@description('Address space of the virtual network created when privateNetworking is on (two /24 subnets are used).')
param vnetAddressPrefix string = '10.42.0.0/23'

@description('Write every incident notification to the StorageAuthTriage_CL table of the workspace above through the Logs Ingestion API (data collection endpoint and rule), for log search alerts, Action Groups and Sentinel.')
param azureMonitorOutput bool = false

@description('Email addresses an Action Group notifies from a log search alert on StorageAuthTriage_CL (needs azureMonitorOutput); empty: no alert.')
param alertEmails string[] = []

type resourceTags = { *: string }

@description('An existing storage account whose Storage*Logs should be collected.')
type diagnosedStorageAccount = {
  @description('Resource id of the storage account (any resource group or subscription the deployer can write diagnostic settings in).')
  resourceId: string
  @description('Services to collect; all four by default. Premium block-blob or file-only accounts need a subset.')
  services: ('blob' | 'queue' | 'table' | 'file')[]?
  @description('Switch its resource logs on (default true); false when the account already sends them to the workspace.')
  collectLogs: bool?
}

var nameSuffix = uniqueString(resourceGroup().id)
// Storage account and vault names allow no hyphens (storage) or are limited to 24 characters.
var compactName = take(toLower(replace(baseName, '-', '')), 8)
var webhookSecretName = 'teams-webhook-url'
var deploymentContainerName = 'app-package'
var createWorkspace = empty(existingLogAnalyticsWorkspaceId)
var hostStorageAccountName = 'st${compactName}h${nameSuffix}'
var stateStorageAccountName = 'st${compactName}s${nameSuffix}'
var keyVaultName = 'kv${compactName}${nameSuffix}'
var publicNetworkAccess = privateNetworking ? 'Disabled' : 'Enabled'
// The app's inbound endpoint can be private only inside the network privateNetworking creates.
var dashboardIsPrivate = privateNetworking && privateDashboard
// Azure Monitor private too: only where the app has a network to reach the scope's private endpoint from.
var monitorIsPrivate = privateNetworking && !empty(monitorPrivateLinkScopeId)
var monitorPublicAccess = monitorIsPrivate ? 'Disabled' : 'Enabled'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-${baseName}-${nameSuffix}'
  location: location
  tags: tags
}

resource newWorkspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' = if (createWorkspace) {
  name: 'log-${baseName}-${nameSuffix}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: logRetentionInDays
    features: { enableLogAccessUsingOnlyResourcePermissions: true }
    publicNetworkAccessForIngestion: monitorPublicAccess
    publicNetworkAccessForQuery: monitorPublicAccess
  }
}

var workspaceResourceId = createWorkspace ? newWorkspace.id : existingLogAnalyticsWorkspaceId
var logWorkspaceIds = empty(storageLogWorkspaceIds) ? [workspaceResourceId] : storageLogWorkspaceIds
// The triage reads exactly one source: the archive when one is given, else the workspaces.
var readArchive = !empty(archiveStorageAccountId)
var classicAccountsTheAppReads = readArchive ? [] : classicLogStorageAccountIds
var workspacesTheAppReads = readArchive || !empty(classicAccountsTheAppReads) ? [] : logWorkspaceIds

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${baseName}-${nameSuffix}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspaceResourceId
    IngestionMode: 'LogAnalytics'
    // Only Entra-authenticated telemetry is accepted; the connection string alone cannot write data.
    DisableLocalAuth: true
    publicNetworkAccessForIngestion: monitorPublicAccess
    publicNetworkAccessForQuery: monitorPublicAccess
  }
}

// Host storage: the Flex deployment package and the timer's schedule-monitor leases. The triage state
// (incidents, watermark, notification log) lives in a separate account so that its data has its own
// lifecycle and its own grant (tables only), and re-creating the app never touches incident history.
module hostStorage 'modules/storage-account.bicep' = {
  name: 'host-storage'
  params: {
    name: hostStorageAccountName
    location: location
    tags: tags
    blobContainerNames: [deploymentContainerName]
    publicNetworkAccess: publicNetworkAccess
  }
}

module stateStorage 'modules/storage-account.bicep' = {
  name: 'state-storage'
  params: {
    name: stateStorageAccountName
    location: location
    tags: tags
    publicNetworkAccess: publicNetworkAccess
  }
}

module vault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    name: keyVaultName
    location: location
    tags: tags
    webhookSecretName: webhookSecretName
    webhookEditorPrincipalId: webhookEditorPrincipalId
    webhookEditorPrincipalType: webhookEditorPrincipalType
    publicNetworkAccess: publicNetworkAccess
  }
}

module appRoles 'modules/app-role-assignments.bicep' = {
  name: 'app-role-assignments'
  params: {
    principalResourceId: identity.id
    principalId: identity.properties.principalId
    hostStorageAccountName: hostStorageAccountName
    stateStorageAccountName: stateStorageAccountName
    keyVaultName: keyVaultName
    appInsightsName: appInsights.name
  }
  // The names above are known up front (keeps What-If precise), so the order is stated explicitly.
  dependsOn: [hostStorage, stateStorage, vault]
}

// Resource ids look like /subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}.
module workspaceReaders 'modules/log-workspace-reader.bicep' = [
  for workspaceId in workspacesTheAppReads: {
    name: take('authtriage-logreader-${uniqueString(resourceGroup().id, workspaceId)}', 64)
    scope: resourceGroup(split(workspaceId, '/')[2], split(workspaceId, '/')[4])
    params: {
      workspaceName: last(split(workspaceId, '/'))
      principalResourceId: identity.id
      principalId: identity.properties.principalId
    }
  }
]

module archiveReader 'modules/archive-reader.bicep' = if (readArchive) {
  name: take('authtriage-archivereader-${uniqueString(resourceGroup().id, archiveStorageAccountId)}', 64)
  scope: resourceGroup(split(archiveStorageAccountId, '/')[2], split(archiveStorageAccountId, '/')[4])
  params: {
    storageAccountName: last(split(archiveStorageAccountId, '/'))
    principalResourceId: identity.id
    principalId: identity.properties.principalId
  }
}

module classicLogReaders 'modules/classic-logs-reader.bicep' = [
  for accountId in classicAccountsTheAppReads: {
    name: take('authtriage-classicreader-${uniqueString(resourceGroup().id, accountId)}', 64)
    scope: resourceGroup(split(accountId, '/')[2], split(accountId, '/')[4])
    params: {
      storageAccountName: last(split(accountId, '/'))
      principalResourceId: identity.id
      principalId: identity.properties.principalId
    }
  }
]

var accountsToCollect = filter(diagnosticStorageAccounts, account => account.?collectLogs ?? true)

module storageDiagnostics 'modules/storage-diagnostics.bicep' = [
  for account in accountsToCollect: {
    name: take('authtriage-diag-${uniqueString(resourceGroup().id, account.resourceId)}', 64)
    scope: resourceGroup(split(account.resourceId, '/')[2], split(account.resourceId, '/')[4])
    params: {
      storageAccountName: last(split(account.resourceId, '/'))
      services: account.?services ?? ['blob', 'queue', 'table', 'file']
      workspaceResourceId: workspaceResourceId
      settingName: 'storage-auth-triage'
    }
  }
]

// Blob endpoints by name (known before deployment); the readers above grant access to each.
var classicAccountUrls = [
  for accountId in classicAccountsTheAppReads: 'https://${last(split(accountId, '/'))}.blob.${environment().suffixes.storage}'
]


module activityLog 'modules/activity-log.bicep' = if (exportActivityLog) {
  name: take('authtriage-activity-${uniqueString(resourceGroup().id)}', 64)
  scope: subscription()
  params: {
    workspaceResourceId: workspaceResourceId
    settingName: 'storage-auth-triage-${uniqueString(resourceGroup().id)}'
  }
}

// Private networking: the network and zones, then one private endpoint per sub-resource the app uses.
module network 'modules/private-network.bicep' = if (privateNetworking) {
  name: 'private-network'
  params: {
    name: 'vnet-${baseName}-${nameSuffix}'
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
    sitesZone: dashboardIsPrivate
  }
}

var privateEndpoints = [
  { target: resourceId('Microsoft.Storage/storageAccounts', hostStorageAccountName), groupId: 'blob', name: 'host-blob' }
  { target: resourceId('Microsoft.Storage/storageAccounts', hostStorageAccountName), groupId: 'queue', name: 'host-queue' }
  { target: resourceId('Microsoft.Storage/storageAccounts', hostStorageAccountName), groupId: 'table', name: 'host-table' }
  { target: resourceId('Microsoft.Storage/storageAccounts', stateStorageAccountName), groupId: 'table', name: 'state-table' }
  { target: resourceId('Microsoft.KeyVault/vaults', keyVaultName), groupId: 'vault', name: 'vault' }
]

module endpoints 'modules/private-endpoint.bicep' = [
  for endpoint in (privateNetworking ? privateEndpoints : []): {
    name: 'pe-${endpoint.name}'
    params: {
      name: 'pe-${endpoint.name}-${nameSuffix}'
      location: location
      tags: tags
      targetResourceId: endpoint.target
      groupId: endpoint.groupId
      subnetId: network.?outputs.endpointSubnetId ?? ''
      privateDnsZoneId: network.?outputs.zoneIds[endpoint.groupId] ?? ''
    }
    dependsOn: [hostStorage, stateStorage, vault]
  }
]

// Incidents in Azure Monitor: table, endpoint and rule beside the workspace (wherever it lives).
module incidentTable 'modules/incident-table.bicep' = if (azureMonitorOutput) {
  name: take('authtriage-incidents-${uniqueString(resourceGroup().id)}', 64)
  scope: resourceGroup(split(workspaceResourceId, '/')[2], split(workspaceResourceId, '/')[4])
  params: {
    workspaceName: last(split(workspaceResourceId, '/'))
    namePrefix: '${baseName}-${nameSuffix}'
    tags: tags
    principalId: identity.properties.principalId
    principalResourceId: identity.id
    publicNetworkAccess: publicNetworkAccess
    alertEmails: alertEmails
    alertFrequency: 'PT5M'
  }
}

var triageSettings = union(triageOptions, {
  TRIAGE_ARCHIVE_ACCOUNT_URL: archiveReader.?outputs.blobEndpoint ?? ''
  TRIAGE_CLASSIC_ACCOUNT_URLS: join(classicAccountUrls, ',')
  TRIAGE_SCHEDULE: triageSchedule
  TRIAGE_TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(SecretUri=${vault.outputs.webhookSecretUri})'
  TRIAGE_STATE_TABLE_ENDPOINT: stateStorage.outputs.tableEndpoint
  TRIAGE_MONITOR_ENDPOINT: incidentTable.?outputs.ingestionEndpoint ?? ''
  TRIAGE_MONITOR_RULE_ID: incidentTable.?outputs.ruleImmutableId ?? ''
  TRIAGE_MONITOR_STREAM: incidentTable.?outputs.streamName ?? ''
  // The accounts whose logs this deployment switched on: one that sends nothing is reported every run.
  TRIAGE_EXPECTED_ACCOUNTS: join(map(accountsToCollect, account => last(split(account.resourceId, '/'))), ',')
})

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    name: 'func-${baseName}-${nameSuffix}'
    planName: 'plan-${baseName}-${nameSuffix}'
    location: location
    tags: tags
    identityResourceId: identity.id
    identityClientId: identity.properties.clientId
    hostStorageAccountName: hostStorage.outputs.name
    deploymentBlobEndpoint: hostStorage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    appInsightsName: appInsights.name
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    triageSettings: triageSettings
    // The Logs query API takes workspace GUIDs, which only the workspaces themselves know.
    logWorkspaceCustomerIds: [for (workspaceId, i) in workspacesTheAppReads: workspaceReaders[i].outputs.customerId]
    virtualNetworkSubnetId: network.?outputs.appSubnetId ?? ''
    publicNetworkAccess: dashboardIsPrivate ? 'Disabled' : 'Enabled'
  }
  // With private networking the app starts only once its storage and vault are reachable privately.
  dependsOn: [appRoles, endpoints]
}

// The Azure Monitor resources this template owns join the given private link scope (in its own group).
module monitorPrivateLink 'modules/monitor-private-link.bicep' = if (monitorIsPrivate) {
  name: take('authtriage-ampls-${uniqueString(resourceGroup().id)}', 64)
  scope: resourceGroup(split(monitorPrivateLinkScopeId, '/')[2], split(monitorPrivateLinkScopeId, '/')[4])
  params: {
    scopeName: last(split(monitorPrivateLinkScopeId, '/'))
    workspaceResourceId: newWorkspace.?id ?? ''
    appInsightsResourceId: appInsights.id
    // The endpoint's id as the incident table module names it, known before deployment.
    dataCollectionEndpointId: azureMonitorOutput
      ? resourceId(
          split(workspaceResourceId, '/')[2],
          split(workspaceResourceId, '/')[4],
          'Microsoft.Insights/dataCollectionEndpoints',
          '${baseName}-${nameSuffix}-dce'
        )
      : ''
  }
  dependsOn: [incidentTable]
}

// The app's inbound private endpoint: its host name and its scm site's resolve to it inside the network.
module appEndpoint 'modules/private-endpoint.bicep' = if (dashboardIsPrivate) {
  name: 'pe-app'
  params: {
    name: 'pe-app-${nameSuffix}'
    location: location
    tags: tags
    targetResourceId: functionApp.outputs.id
    groupId: 'sites'
    subnetId: network.?outputs.endpointSubnetId ?? ''
    privateDnsZoneId: network.?outputs.zoneIds.sites ?? ''
  }
}

module workbook 'modules/workbook.bicep' = if (deployWorkbook) {
  name: 'workbook'
  params: {
    location: location
    tags: tags
    displayName: 'Storage Auth Triage'
    sourceResourceId: workspaceResourceId
    defaultWorkspaceResourceIds: logWorkspaceIds
  }
}

@description('Name of the function app (for `az functionapp deployment source config-zip`).')
output functionAppName string = functionApp.outputs.name

@description('Dashboard page of the deployed app.')
output dashboardUrl string = 'https://${functionApp.outputs.defaultHostName}/api/dashboard'

@description('Key Vault that must receive the Teams webhook URL (`az keyvault secret set`).')
output keyVaultName string = vault.outputs.name

@description('Name of the secret to set in that vault.')
output webhookSecretName string = webhookSecretName

@description('Object id of the app identity, e.g. for granting it access to more workspaces by hand.')
output identityPrincipalId string = identity.properties.principalId

@description('Workspace that receives App Insights telemetry and the diagnostic settings.')
output workspaceResourceId string = workspaceResourceId

@description('Resource id of the workbook, when deployed.')
output workbookId string = workbook.?outputs.id ?? ''

@description('Custom table that receives one row per notification when azureMonitorOutput is on.')
output incidentTableName string = incidentTable.?outputs.tableName ?? ''
