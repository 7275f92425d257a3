// One private endpoint for one sub-resource (blob, queue, table, vault, or a function app's sites) of a
// resource in this resource group, registered in its private DNS zone so the usual host name resolves to
// the private address.

@description('Name of the private endpoint.')
param name string

@description('Azure region of the endpoint (the network\'s).')
param location string

@description('Tags applied to the endpoint.')
param tags resourceTags

@description('Resource id of the storage account, vault or function app.')
param targetResourceId string

@description('Sub-resource (group id): blob, queue, table, vault or sites.')
param groupId 'blob' | 'queue' | 'table' | 'vault' | 'sites'

@description('Subnet that holds the endpoint.')
param subnetId string

@description('Private DNS zone of that sub-resource.')
param privateDnsZoneId string

type resourceTags = { *: string }

resource endpoint 'Microsoft.Network/privateEndpoints@2025-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: { id: subnetId }
    privateLinkServiceConnections: [
      {
        name: name
        properties: { privateLinkServiceId: targetResourceId, groupIds: [groupId] }
      }
    ]
  }
}

resource dnsGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2025-07-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [{ name: groupId, properties: { privateDnsZoneId: privateDnsZoneId } }]
  }
}
