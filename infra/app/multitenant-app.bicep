// The multi-tenant app registration that lets one deployment keep subscriptions in customer tenants
// with no secret anywhere: the app registration trusts the Function App's user-assigned identity as a
// federated identity credential, so the app asks its identity for a token for
// api://AzureADTokenExchange, presents it as this registration's client assertion, and gets a Graph
// token for any tenant whose admin has consented (Entra, "Configure an application to trust a managed
// identity", learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
// Only a user-assigned identity can be trusted this way (same page): the app has one.
//
// Declared with the Microsoft Graph Bicep extension (learn.microsoft.com/graph/templates/reference/applications,
// .../reference/federatedidentitycredentials). The deployer needs Application.ReadWrite.All, i.e. a
// role such as Application Administrator, Cloud Application Administrator or Application Developer.
extension microsoftGraphV1

@description('The registration\'s uniqueName, its client-provided key: the same one on every deployment of this environment, so a re-run updates it rather than creating another.')
param uniqueName string
@description('What each customer tenant\'s admin sees on the consent prompt and in Enterprise applications.')
param displayName string
@description('Principal (object) id of the user-assigned identity the registration trusts.')
param identityPrincipalId string
@description('Graph application permissions the registration asks each customer tenant for, e.g. Mail.Read: the ones the identity is granted at home.')
param appRoles array

// Microsoft Graph's well-known application id.
var graphAppId = '00000003-0000-0000-c000-000000000000'

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  // Any Entra tenant may consent; no personal accounts (they cannot give admin consent).
  signInAudience: 'AzureADMultipleOrgs'
  // What the admin consent prompt lists and what consent grants in the customer's tenant: application
  // permissions (type Role, learn.microsoft.com/graph/api/resources/resourceaccess), by the role ids
  // Graph's service principal publishes, as graph-permissions.bicep grants them at home.
  requiredResourceAccess: [
    {
      resourceAppId: graphAppId
      resourceAccess: [for role in appRoles: { id: filter(graph.appRoles, r => r.value == role)[0].id, type: 'Role' }]
    }
  ]
  // No redirect URI, no secret, no certificate: nobody signs in to this app, and its one credential is
  // the trust below.

  // The trust: Entra accepts as this app's client assertion a token whose issuer is this tenant's
  // authority and whose subject is the identity's principal id, for the audience
  // api://AzureADTokenExchange (the public cloud's; a national cloud has its own, e.g.
  // api://AzureADTokenExchangeUSGov, same page). A wrong value is accepted here without error and
  // fails only at the first token exchange (same page), which `tenant add` makes at once.
  resource trust 'federatedIdentityCredentials@v1.0' = {
    name: '${app.uniqueName}/function-app-identity'
    description: 'The Function App\'s user-assigned managed identity: its token is this app\'s client assertion.'
    issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
    subject: identityPrincipalId
    audiences: ['api://AzureADTokenExchange']
  }
}

// No service principal is declared in this (home) tenant: the app reads its own tenant with the
// identity's own token, as a single-tenant deployment does, and never with this registration; each
// customer tenant gets its service principal (its "enterprise application") when its admin consents.

output clientId string = app.appId
// The admin consent URL in the per-tenant form Entra documents, {tenant} being the customer's tenant id
// or a verified domain (learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent,
// "Construct the URL for granting tenant-wide admin consent"). Per tenant rather than
// `organizations`: an admin signed in to several tenants (an MSP's) then consents for the tenant
// named, not for whichever account the browser picks. `tenant add` prints it filled in.
output adminConsentUrl string = '${environment().authentication.loginEndpoint}{tenant}/adminconsent?client_id=${app.appId}'
