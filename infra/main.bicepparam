// Parameters for `azd up` and for `az deployment group create`: a new workspace in the same resource group,
// the subscription Activity Log exported to it, the workbook on. Every choice a deployment differs in is an
// environment variable (`azd env set NAME value`, or `export NAME=value` before `az`), so this file stays
// the same for everyone. See docs/deploy.md for every parameter.
using './main.bicep'

param baseName = 'authtriage'
param tags = { application: 'storage-auth-triage' }
param triageSchedule = '0 */5 * * * *'
param instanceMemoryMB = 2048
param maximumInstanceCount = 40
param deployWorkbook = true

// Who may write the Teams webhook secret (Key Vault Secrets Officer): AUTHTRIAGE_WEBHOOK_EDITOR_ID when set,
// else the deployer, whose object id azd passes as AZURE_PRINCIPAL_ID (export it yourself with `az`).
param webhookEditorPrincipalId = readEnvironmentVariable(
  'AUTHTRIAGE_WEBHOOK_EDITOR_ID',
  readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')
)

// The storage accounts to triage (comma-separated resource ids): their StorageRead/Write/Delete logs are
// switched on and sent to the workspace, so the app has data from the first run.
param diagnosticStorageAccounts = map(
  filter(split(readEnvironmentVariable('AUTHTRIAGE_STORAGE_ACCOUNT_IDS', ''), ','), id => !empty(trim(id))),
  id => { resourceId: trim(id) }
)

// The subscription Activity Log into the workspace (AzureActivity, what root causes are found in). Set
// AUTHTRIAGE_EXPORT_ACTIVITY_LOG=false when the subscription already exports it to a workspace the app reads.
param exportActivityLog = bool(readEnvironmentVariable('AUTHTRIAGE_EXPORT_ACTIVITY_LOG', 'true'))

// Private networking (VNet integration, private endpoints, public access off): AUTHTRIAGE_PRIVATE_NETWORKING=true.
param privateNetworking = bool(readEnvironmentVariable('AUTHTRIAGE_PRIVATE_NETWORKING', 'false'))
// With it, the dashboard and the app's other endpoints private too (no public inbound access; deploy from
// inside the network): AUTHTRIAGE_PRIVATE_DASHBOARD=true.
param privateDashboard = bool(readEnvironmentVariable('AUTHTRIAGE_PRIVATE_DASHBOARD', 'false'))
// With it, Azure Monitor private too: the resource id of your Azure Monitor Private Link Scope in
// AUTHTRIAGE_MONITOR_PRIVATE_LINK_SCOPE_ID (the created workspace, App Insights and the endpoint join it).
param monitorPrivateLinkScopeId = readEnvironmentVariable('AUTHTRIAGE_MONITOR_PRIVATE_LINK_SCOPE_ID', '')

// Incidents into Azure Monitor (custom table, Logs Ingestion): AUTHTRIAGE_AZURE_MONITOR=true; with
// AUTHTRIAGE_ALERT_EMAILS (comma-separated) a log search alert and an Action Group mail them.
param azureMonitorOutput = bool(readEnvironmentVariable('AUTHTRIAGE_AZURE_MONITOR', 'false'))
param alertEmails = filter(
  map(split(readEnvironmentVariable('AUTHTRIAGE_ALERT_EMAILS', ''), ','), email => trim(email)),
  email => !empty(email)
)

// To read logs that already land in existing workspaces (any resource group or subscription):
// param existingLogAnalyticsWorkspaceId = '/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>'
// param storageLogWorkspaceIds = [ '<workspace resource id>', '<another workspace resource id>' ]
