// The Function App, on a Linux Dedicated (Basic B1) plan: the cheapest Linux plan where
// WEBSITE_TIME_ZONE works (not Consumption, not Flex Consumption), with no Azure Files share and so
// no storage keys, no cold start, and no 10-minute execution cap.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param appInsightsConnectionString string
param clientStateUri string
param graphBaseUrl string
@description('The consumer\'s own endpoint that receives change notifications; the default for registrations. Empty: each registration names one.')
param notificationUrl string = ''
@description('Object id of the mailbox a registration without a resource watches (its Inbox). Empty: each registration names a resource.')
param graphUserId string = ''
@description('GRAPH_MAX_LIFETIMES: Graph\'s maximum lifetimes overridden or added (kind=minutes; ...). Empty: the documented table.')
param graphMaxLifetimes string = ''
@description('Client id of the multi-tenant app registration (main.bicep multiTenant). Empty: a single-tenant deployment.')
param multiTenantAppClientId string = ''

// Set only in a multi-tenant deployment, so a single-tenant one keeps exactly the settings it had.
var multiTenantSettings = empty(multiTenantAppClientId) ? [] : [
  { name: 'MULTI_TENANT_APP_CLIENT_ID', value: multiTenantAppClientId }
]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'linux'
  sku: { name: 'B1', tier: 'Basic' }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    reserved: true
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      linuxFxVersion: 'Node|22'
      alwaysOn: true // a Dedicated plan only fires timers while the host is up
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: concat([
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
        { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' }
        // The package is a ready-to-run bundle (dist/index.js): nothing to build or install on the server.
        { name: 'SCM_DO_BUILD_DURING_DEPLOYMENT', value: 'false' }
        // Host storage through the managed identity: no connection string, no key.
        { name: 'AzureWebJobsStorage__blobServiceUri', value: blobEndpoint }
        { name: 'AzureWebJobsStorage__queueServiceUri', value: queueEndpoint }
        { name: 'AzureWebJobsStorage__tableServiceUri', value: tableEndpoint }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        // The app's own settings (README, Configuration).
        { name: 'TABLES_ENDPOINT', value: tableEndpoint }
        { name: 'SUBSCRIPTIONS_TABLE', value: 'subscriptions' }
        { name: 'RUNS_TABLE', value: 'renewalruns' }
        { name: 'SUBSCRIPTION_INDEX_TABLE', value: 'subscriptionindex' }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'GRAPH_BASE_URL', value: graphBaseUrl }
        // The queue triggers read their queue name from this setting (%RENEWAL_QUEUE%): it must be set.
        { name: 'RENEWAL_QUEUE', value: 'subscription-renewals' }
        // Linux takes an IANA name (Windows would take 'Romance Standard Time').
        { name: 'WEBSITE_TIME_ZONE', value: 'Europe/Paris' }
        { name: 'WEBHOOK_CLIENT_STATE', value: '@Microsoft.KeyVault(SecretUri=${clientStateUri})' }
        // No WEBHOOK_LIFECYCLE_URL: the app builds its lifecycle endpoint from WEBSITE_HOSTNAME, the host
        // name App Service gives it in whatever cloud it runs (src/config.ts). The site's
        // defaultHostName cannot be used here: it is an output of this very resource.
        { name: 'WEBHOOK_NOTIFICATION_URL', value: notificationUrl }
        { name: 'GRAPH_USER_ID', value: graphUserId }
        { name: 'GRAPH_MAX_LIFETIMES', value: graphMaxLifetimes }
        // The tenant the identity lives in, whose Graph the app reaches with the identity's own token;
        // rows that name no tenant belong to it. Set in a single-tenant deployment too, where it is all there is.
        { name: 'HOME_TENANT_ID', value: tenant().tenantId }
        // Telemetry authenticated with the managed identity (the component refuses keys).
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
      ], multiTenantSettings)
    }
  }
}

// Deployments authenticate with Entra ID (azd does); no publishing passwords.
resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

resource scm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

output name string = site.name
output id string = site.id
// defaultHostName is the app's host name in whatever cloud it is deployed to.
output statusUrl string = 'https://${site.properties.defaultHostName}/api/webhooks/scheduler/status'
output healthUrl string = 'https://${site.properties.defaultHostName}/api/webhooks/health'
