// Microsoft Graph application permissions for the app identity: app-role assignments on Graph's
// service principal, not Azure RBAC. The deployer needs the Privileged Role Administrator directory
// role (AppRoleAssignment.ReadWrite.All + Application.Read.All); without it, deploy with
// GRANT_GRAPH_PERMISSIONS=false and grant them as the README shows.
extension microsoftGraphV1

param principalId string
@description('Permission names, e.g. Mail.Read.')
param appRoles array

// Microsoft Graph's well-known application id.
resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000'
}

resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for role in appRoles: {
    principalId: principalId
    resourceId: graph.id
    appRoleId: filter(graph.appRoles, r => r.value == role)[0].id
  }
]
