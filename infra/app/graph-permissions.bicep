// Microsoft Graph application permissions for the app identity: app-role assignments on Graph's
// service principal, not Azure RBAC. The deployer needs the Privileged Role Administrator directory
// role (AppRoleAssignment.ReadWrite.All + Application.Read.All); without it, deploy with
// GRANT_GRAPH_PERMISSIONS=false and grant them as docs/deploy.md shows ("Granting Graph access").
extension microsoftGraphV1

param principalId string
@description('Permission names, e.g. Mail.Read.')
param appRoles array

// Microsoft Graph's well-known application id.
resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000'
}

// An identity created in the same deployment may not have reached every Graph replica yet: the
// assignment then fails with "Not a valid reference update" (Code: BadRequest) and a second
// deployment succeeds (microsoftgraph/msgraph-bicep-types#193, open). @retryOn has ARM retry the
// resource on that code instead (learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-retryon;
// GA since Bicep 0.45.6, which azd 1.28.1 brings), up to 10 times. A BadRequest that is no delay
// (a wrong role id) fails the same way after the retries. A re-run of azd up declares the same
// assignment (same principal, resource and role) again, as the first version of this module did.
@retryOn(['BadRequest'], 10)
resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for role in appRoles: {
    principalId: principalId
    resourceId: graph.id
    appRoleId: filter(graph.appRoles, r => r.value == role)[0].id
  }
]
