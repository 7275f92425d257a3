// The private-networking option: a virtual network with one subnet for Flex Consumption's outbound VNet
// integration (delegated to Microsoft.App/environments, as Flex requires) and one for private endpoints,
// plus the private DNS zones those endpoints register in, linked to the network. Names of the zones come
// from the cloud's own suffixes, so the same template works in sovereign clouds.

@description('Name of the virtual network.')
param name string

@description('Azure region of the network.')
param location string

@description('Tags applied to the network and the zones.')
param tags resourceTags

@description('Address space of the network; two /24 subnets are carved from its first 512 addresses.')
param addressPrefix string

@description('Also the zone of function apps\' inbound private endpoints (the app\'s own endpoint is private).')
param sitesZone bool = false

type resourceTags = { *: string }

@description('Private DNS zone ids by endpoint kind; sites is empty unless sitesZone.')
type zoneIdMap = { blob: string, queue: string, table: string, vault: string, sites: string }

// Storage: host (blob for the package and leases, queue and table for the host) and state (table).
// Key Vault: privatelink.vaultcore.<suffix>, derived from the vault DNS suffix (vault.azure.net → vaultcore.azure.net).
var zoneNames = {
  blob: 'privatelink.blob.${environment().suffixes.storage}'
  queue: 'privatelink.queue.${environment().suffixes.storage}'
  table: 'privatelink.table.${environment().suffixes.storage}'
  vault: 'privatelink.${replace(substring(environment().suffixes.keyvaultDns, 1), 'vault.', 'vaultcore.')}'
}
// App Service's zone (the app and its scm site) is not among environment()'s suffixes: by cloud.
var sitesZoneName = environment().name == 'AzureUSGovernment'
  ? 'privatelink.azurewebsites.us'
  : environment().name == 'AzureChinaCloud' ? 'privatelink.chinacloudsites.cn' : 'privatelink.azurewebsites.net'
var allZoneNames = concat(map(items(zoneNames), zone => zone.value), sitesZone ? [sitesZoneName] : [])

resource network 'Microsoft.Network/virtualNetworks@2025-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [addressPrefix] }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 0)
          delegations: [{ name: 'flex', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 1)
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for zone in allZoneNames: {
    name: zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (zone, i) in allZoneNames: {
    parent: zones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      virtualNetwork: { id: network.id }
      registrationEnabled: false
    }
  }
]

@description('Subnet the function app integrates with (outbound traffic).')
output appSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', network.name, 'app')

@description('Subnet that holds the private endpoints.')
output endpointSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', network.name, 'private-endpoints')

@description('Private DNS zone ids by endpoint kind (blob, queue, table, vault, sites).')
output zoneIds zoneIdMap = {
  blob: zones[0].id
  queue: zones[1].id
  table: zones[2].id
  vault: zones[3].id
  sites: sitesZone ? zones[4].id : ''
}
