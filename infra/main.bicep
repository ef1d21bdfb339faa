targetScope = 'subscription'

// azd up: one resource group holding the renewal app, its identity, storage, secrets and monitoring.

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used in resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('Where alerts go: renewal failures, runs that stopped, status answering 503.')
param alertEmail string

@secure()
@minLength(16)
@maxLength(128)
@description('Client state Graph echoes in every notification (16 to 128 characters, e.g. openssl rand -hex 32). Stored in Key Vault only.')
param webhookClientState string

@description('Microsoft Graph application permissions granted to the app identity, e.g. Mail.Read or Mail.ReadBasic.')
param graphAppRoles array = ['Mail.Read']

@allowed(['true', 'false'])
@description('Grant the Graph permissions in this deployment (needs the Privileged Role Administrator directory role). "false": grant them afterwards, see README.')
param grantGraphPermissions string = 'true'

@description('Graph host: https://graph.microsoft.com, or a national cloud.')
param graphBaseUrl string = 'https://graph.microsoft.com'

@description('The consumer\'s endpoint that receives change notifications (https), used when a registration names none. Empty: each registration names its own.')
param notificationUrl string = ''

@description('Object id of the mailbox whose Inbox a registration without a resource watches (the seed\'s setting). Empty: each registration names a resource.')
param graphUserId string = ''

@description('Graph\'s maximum subscription lifetimes, overridden or added without a release (GRAPH_MAX_LIFETIMES, README "Graph\'s rules"), e.g. outlook=10080; outlook+rich=1440. Empty: the documented table.')
param graphMaxLifetimes string = ''

@description('Keep subscriptions in other (customer) tenants too: adds a multi-tenant app registration that trusts the app\'s identity (no secret) and asks each tenant for the graphAppRoles permissions; docs/tenants.md. false: this tenant only, as before.')
param multiTenant bool = false

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  scope: rg
  name: 'identity'
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}func-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  scope: rg
  name: 'storage'
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  scope: rg
  name: 'monitoring'
  params: {
    workspaceName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    appInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module vault 'app/keyvault.bicep' = {
  scope: rg
  name: 'keyvault'
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    webhookClientState: webhookClientState
  }
}

module rbac 'app/rbac.bicep' = {
  scope: rg
  name: 'rbac'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    keyVaultName: vault.outputs.name
  }
}

module function 'app/function.bicep' = {
  scope: rg
  name: 'function'
  params: {
    name: '${abbrs.webSitesFunctions}${resourceToken}'
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    appInsightsConnectionString: monitoring.outputs.connectionString
    clientStateUri: vault.outputs.clientStateUri
    graphBaseUrl: graphBaseUrl
    notificationUrl: notificationUrl
    graphUserId: graphUserId
    graphMaxLifetimes: graphMaxLifetimes
    multiTenantAppClientId: multiTenant ? multiTenantApp!.outputs.clientId : ''
  }
  // The app starts with identity-based settings: its roles must exist first.
  dependsOn: [rbac]
}

module graphPermissions 'app/graph-permissions.bicep' = if (grantGraphPermissions == 'true') {
  scope: rg
  name: 'graph-permissions'
  params: {
    principalId: identity.outputs.principalId
    appRoles: graphAppRoles
  }
  // As late as it can be: the minutes the Function App takes give the new identity's service
  // principal time to reach Graph's replicas before the grant names it (it also retries, see the module).
  dependsOn: [function]
}

// Only when multiTenant: a single-tenant deployment declares nothing more than before. The registration
// trusts the identity by its principal id alone, a plain string, so it does not wait for the
// identity to reach Graph's replicas as the app-role grant above must.
module multiTenantApp 'app/multitenant-app.bicep' = if (multiTenant) {
  scope: rg
  name: 'multitenant-app'
  params: {
    // Stable per environment, so a re-run of azd up updates the one registration.
    uniqueName: 'graph-subscription-renewal-${resourceToken}'
    displayName: 'Graph subscription renewal (${environmentName})'
    identityPrincipalId: identity.outputs.principalId
    // The permissions a customer tenant's admin consents to are the ones granted at home.
    appRoles: graphAppRoles
  }
}

module alerts 'app/alerts.bicep' = {
  scope: rg
  name: 'alerts'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    appInsightsName: monitoring.outputs.appInsightsName
    healthUrl: function.outputs.healthUrl
    alertEmail: alertEmail
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = function.outputs.name
output SERVICE_API_NAME string = function.outputs.name
output STATUS_URL string = function.outputs.statusUrl
output HEALTH_URL string = function.outputs.healthUrl
// For the postdeploy hook, which calls Azure Resource Manager with azd's token: the endpoint of the
// cloud this is deployed to (environment(), learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-deployment)
// and the app's resource id. Neither is a secret.
output AZURE_RESOURCE_MANAGER_ENDPOINT string = environment().resourceManager
output AZURE_FUNCTION_APP_ID string = function.outputs.id
output AVAILABILITY_TEST_ID string = alerts.outputs.availabilityTestId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
// Many tenants (docs/tenants.md): the registration's client id, and the URL a customer tenant's admin
// opens to consent, {tenant} replaced by that tenant's id. Empty in a single-tenant deployment.
output MULTI_TENANT_APP_CLIENT_ID string = multiTenant ? multiTenantApp!.outputs.clientId : ''
output ADMIN_CONSENT_URL string = multiTenant ? multiTenantApp!.outputs.adminConsentUrl : ''
