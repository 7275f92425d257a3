// The write path into the incident table (modules/incident-table.bicep): data collection endpoint and
// rule, the app identity's right to send through the rule, and the optional alert with its Action Group.

@description('Region of the workspace (rules that write to a workspace must be in its region).')
param location string

@description('Name prefix of the endpoint, rule, alert and action group.')
param namePrefix string

@description('Tags applied to new resources.')
param tags resourceTags

@description('Resource id of the workspace that holds the table.')
param workspaceResourceId string

@description('Name of the custom table (ends with _CL).')
param tableName string

@description('Columns of the table, which the stream declares too.')
param columns column[]

@description('Object id of the function app identity.')
param principalId string

@description('Resource id of that identity; names the role assignment.')
param principalResourceId string

@description('Public network access of the endpoint.')
param publicNetworkAccess 'Enabled' | 'Disabled'

@description('Email addresses the alert notifies; empty deploys no alert and no Action Group.')
param alertEmails string[]

@description('How often the alert evaluates, ISO 8601.')
param alertFrequency string

type resourceTags = { *: string }

@description('A column of a custom table / stream declaration.')
type column = { name: string, type: 'string' | 'int' | 'long' | 'real' | 'boolean' | 'datetime' | 'dynamic' }

var streamName = 'Custom-StorageAuthTriage'
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

resource endpoint 'Microsoft.Insights/dataCollectionEndpoints@2024-03-11' = {
  name: '${namePrefix}-dce'
  location: location
  tags: tags
  properties: { networkAcls: { publicNetworkAccess: publicNetworkAccess } }
}

resource rule 'Microsoft.Insights/dataCollectionRules@2024-03-11' = {
  name: '${namePrefix}-dcr'
  location: location
  tags: tags
  properties: {
    dataCollectionEndpointId: endpoint.id
    streamDeclarations: { '${streamName}': { columns: columns } }
    destinations: { logAnalytics: [{ name: 'workspace', workspaceResourceId: workspaceResourceId }] }
    dataFlows: [
      {
        streams: [streamName]
        destinations: ['workspace']
        transformKql: 'source'
        outputStream: 'Custom-${tableName}'
      }
    ]
  }
}

// Monitoring Metrics Publisher on the rule alone: the role the Logs Ingestion API checks.
resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(rule.id, principalResourceId, monitoringMetricsPublisherRoleId)
  scope: rule
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmails)) {
  name: '${namePrefix}-ag'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'authtriage'
    enabled: true
    emailReceivers: [
      for (email, i) in alertEmails: { name: 'email-${i}', emailAddress: email, useCommonAlertSchema: true }
    ]
  }
}

// One alert per incident that was opened, changed or reminded since the last evaluation: split by
// incident, so each gets its own alert (and its own ITSM ticket or page). Resolutions do not fire.
resource alert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = if (!empty(alertEmails)) {
  name: '${namePrefix}-incidents'
  location: location
  tags: tags
  properties: {
    displayName: 'Storage auth triage: incident opened or changed'
    description: 'A Storage 401/403 incident was opened, changed materially or is still open (reminder).'
    severity: 2
    enabled: true
    scopes: [workspaceResourceId]
    evaluationFrequency: alertFrequency
    windowSize: alertFrequency
    criteria: {
      allOf: [
        {
          query: '${tableName} | where Reason != "resolved" | summarize Failures = max(Failures) by IncidentId, Account, Verdict'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            { name: 'IncidentId', operator: 'Include', values: ['*'] }
            { name: 'Account', operator: 'Include', values: ['*'] }
            { name: 'Verdict', operator: 'Include', values: ['*'] }
          ]
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: false
    actions: { actionGroups: [actionGroup.id] }
  }
}

@description('Logs ingestion endpoint of the data collection endpoint.')
output ingestionEndpoint string = endpoint.properties.logsIngestion.endpoint

@description('Immutable id of the data collection rule.')
output ruleImmutableId string = rule.properties.immutableId

@description('Stream of the rule the app writes to.')
output streamName string = streamName

@description('Resource id of the data collection endpoint.')
output endpointId string = endpoint.id
