// Log Analytics and a workspace-based Application Insights that accepts only Entra-authenticated telemetry.
param workspaceName string
param appInsightsName string
param location string
param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // No instrumentation-key ingestion: the app authenticates with its managed identity.
    DisableLocalAuth: true
  }
}

output appInsightsName string = appInsights.name
// The connection string names the component; it is not a credential once local auth is disabled.
output connectionString string = appInsights.properties.ConnectionString
