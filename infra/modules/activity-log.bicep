// Exports the subscription's Activity Log to a Log Analytics workspace (the AzureActivity table), which is
// what the triage's "what changed" correlation reads: key regenerations, role assignments, network and
// Shared Key changes. A subscription-scope diagnostic setting; a subscription allows five of them, so
// deployments that already export the Activity Log to the workspace switch this off (exportActivityLog).
targetScope = 'subscription'

@description('Resource id of the Log Analytics workspace that receives AzureActivity.')
param workspaceResourceId string

@description('Name of the diagnostic setting (re-deploying updates it in place).')
param settingName string

// Administrative carries every write/delete/action on resources (listKeys, regenerateKey, roleAssignments,
// storageAccounts/write); Policy and Security carry policy remediations and Defender changes.
var categories = ['Administrative', 'Policy', 'Security']

// Same API version note as modules/storage-diagnostics.bicep: the stable one is 2016; docs and AVM use this.
#disable-next-line use-recent-api-versions
resource activityLog 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  properties: {
    workspaceId: workspaceResourceId
    logs: [for category in categories: { category: category, enabled: true }]
  }
}
