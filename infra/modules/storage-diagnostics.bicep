// Turns on resource logs (StorageRead, StorageWrite, StorageDelete) for the chosen services of one
// existing storage account and sends them to a Log Analytics workspace, which fills StorageBlobLogs,
// StorageQueueLogs, StorageTableLogs and StorageFileLogs. Logs exist only on the service sub-resources
// (blobServices/default, …), never on the account itself.

@description('Name of the existing storage account (deployed at its resource group).')
param storageAccountName string

@description('Services whose logs to collect. Premium BlockBlob/FileStorage accounts lack some services.')
param services ('blob' | 'queue' | 'table' | 'file')[]

@description('Resource id of the Log Analytics workspace that receives the logs.')
param workspaceResourceId string

@description('Name of the diagnostic setting (one per destination; re-deploying updates it in place).')
param settingName string

// diagnosticSettings has no stable API version newer than 2016-09-01; 2021-05-01-preview is the version the
// Azure Monitor docs and Azure Verified Modules use, so the age rule is waived on these four lines only.
var logCategories = [
  { category: 'StorageRead', enabled: true }
  { category: 'StorageWrite', enabled: true }
  { category: 'StorageDelete', enabled: true }
]

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' existing = {
  parent: account
  name: 'default'
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-01-01' existing = {
  parent: account
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-01-01' existing = {
  parent: account
  name: 'default'
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2025-01-01' existing = {
  parent: account
  name: 'default'
}

#disable-next-line use-recent-api-versions
resource blobLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (contains(services, 'blob')) {
  name: settingName
  scope: blobService
  properties: { workspaceId: workspaceResourceId, logs: logCategories }
}

#disable-next-line use-recent-api-versions
resource queueLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (contains(services, 'queue')) {
  name: settingName
  scope: queueService
  properties: { workspaceId: workspaceResourceId, logs: logCategories }
}

#disable-next-line use-recent-api-versions
resource tableLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (contains(services, 'table')) {
  name: settingName
  scope: tableService
  properties: { workspaceId: workspaceResourceId, logs: logCategories }
}

#disable-next-line use-recent-api-versions
resource fileLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (contains(services, 'file')) {
  name: settingName
  scope: fileService
  properties: { workspaceId: workspaceResourceId, logs: logCategories }
}
