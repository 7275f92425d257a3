// Parameters for a typical first deployment: a new workspace in the same resource group, the triage
// reading the storage logs of that workspace, the workbook on. See docs/deploy.md for every parameter.
using './main.bicep'

param baseName = 'authtriage'
param tags = { application: 'storage-auth-triage' }
param triageSchedule = '0 */5 * * * *'
param instanceMemoryMB = 2048
param maximumInstanceCount = 40
param deployWorkbook = true
// Who may write the Teams webhook secret (Key Vault Secrets Officer): an object id from the environment, so
// the file stays the same for everyone. Unset: nobody is granted.
param webhookEditorPrincipalId = readEnvironmentVariable('AUTHTRIAGE_WEBHOOK_EDITOR_ID', '')

// To read logs that already land in existing workspaces (any resource group or subscription):
// param existingLogAnalyticsWorkspaceId = '/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>'
// param storageLogWorkspaceIds = [ '<workspace resource id>', '<another workspace resource id>' ]
// To switch on Storage*Logs for accounts that do not send them yet:
// param diagnosticStorageAccounts = [ { resourceId: '<storage account resource id>' } ]
