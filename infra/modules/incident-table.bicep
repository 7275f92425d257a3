// Incidents in Azure Monitor: a custom table in the workspace, and (modules/incident-pipeline.bicep) the
// data collection endpoint and rule through which the app writes one row per notification with the Logs
// Ingestion API (src/monitor/), plus an optional log search alert with an Action Group. Deployed at the
// workspace's resource group; the pipeline goes to the workspace's region, which a rule writing to a
// workspace requires and which only the workspace knows.

@description('Name of the existing Log Analytics workspace (in this resource group).')
param workspaceName string

@description('Name prefix of the endpoint, rule, alert and action group.')
param namePrefix string

@description('Tags applied to new resources.')
param tags resourceTags

@description('Object id of the function app identity (Monitoring Metrics Publisher on the rule).')
param principalId string

@description('Resource id of that identity; names the role assignment.')
param principalResourceId string

@description('Deny ingestion over the public network (the endpoint is then reached through an Azure Monitor Private Link Scope).')
param publicNetworkAccess 'Enabled' | 'Disabled'

@description('Email addresses the alert notifies; empty deploys no alert and no Action Group.')
param alertEmails string[]

@description('How often the alert evaluates, ISO 8601 (PT5M, PT15M…).')
param alertFrequency string

type resourceTags = { *: string }

var tableName = 'StorageAuthTriage_CL'
// One row per notification; src/monitor/incident-row.ts builds it and a test holds both to these columns.
var columns = [
  { name: 'TimeGenerated', type: 'datetime' }
  { name: 'NotificationId', type: 'string' }
  { name: 'IncidentId', type: 'string' }
  { name: 'Reason', type: 'string' }
  { name: 'Detail', type: 'string' }
  { name: 'Status', type: 'string' }
  { name: 'OpenedAt', type: 'datetime' }
  { name: 'ResolvedAt', type: 'datetime' }
  { name: 'Account', type: 'string' }
  { name: 'Services', type: 'string' }
  { name: 'StatusCode', type: 'int' }
  { name: 'ErrorCode', type: 'string' }
  { name: 'AuthType', type: 'string' }
  { name: 'Verdict', type: 'string' }
  { name: 'Failures', type: 'long' }
  { name: 'FirstSeen', type: 'datetime' }
  { name: 'LastSeen', type: 'datetime' }
  { name: 'Severity', type: 'real' }
  { name: 'Summary', type: 'string' }
  { name: 'TopCause', type: 'string' }
  { name: 'ClockSkewSuspected', type: 'boolean' }
  { name: 'Link', type: 'string' }
  { name: 'Payload', type: 'dynamic' }
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: workspaceName
}

resource table 'Microsoft.OperationalInsights/workspaces/tables@2025-07-01' = {
  parent: workspace
  name: tableName
  properties: {
    plan: 'Analytics'
    schema: { name: tableName, columns: columns }
  }
}

module pipeline 'incident-pipeline.bicep' = {
  name: take('${namePrefix}-pipeline', 64)
  params: {
    location: workspace.location
    namePrefix: namePrefix
    tags: tags
    workspaceResourceId: workspace.id
    tableName: table.name
    columns: columns
    principalId: principalId
    principalResourceId: principalResourceId
    publicNetworkAccess: publicNetworkAccess
    alertEmails: alertEmails
    alertFrequency: alertFrequency
  }
}

@description('Logs ingestion endpoint of the data collection endpoint (TRIAGE_MONITOR_ENDPOINT).')
output ingestionEndpoint string = pipeline.outputs.ingestionEndpoint

@description('Immutable id of the data collection rule (TRIAGE_MONITOR_RULE_ID).')
output ruleImmutableId string = pipeline.outputs.ruleImmutableId

@description('Stream of the rule the app writes to (TRIAGE_MONITOR_STREAM).')
output streamName string = pipeline.outputs.streamName

@description('Name of the custom table.')
output tableName string = table.name

@description('Resource id of the data collection endpoint (for an Azure Monitor Private Link Scope).')
output endpointId string = pipeline.outputs.endpointId
