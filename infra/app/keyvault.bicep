// The webhook client state lives here only; the app setting is a Key Vault reference.
param name string
param location string
param tags object
@secure()
param webhookClientState string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
  }
}

resource clientState 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'webhook-client-state'
  properties: {
    value: webhookClientState
  }
}

output name string = vault.name
// A URI, not the secret: the platform resolves it with the app's identity.
output clientStateUri string = clientState.properties.secretUri
