// Loud when something is wrong: the seed's advice (watch it from outside, mail someone) as resources.
param location string
param tags object
param resourceToken string
param appInsightsName string
@description('The app\'s anonymous health answer (GET /api/webhooks/health): 200 or 503, and nothing else.')
param healthUrl string
param alertEmail string

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'subrenewal'
    enabled: true
    emailReceivers: [
      { name: 'owner', emailAddress: alertEmail, useCommonAlertSchema: true }
    ]
  }
}

// Log alerts read the app's event lines (src/renewal/events.ts): a sentence, then " | {json}".
var logAlerts = [
  {
    name: 'renewal-run-failed'
    description: 'A renewal run failed, or could not start (configuration, identity, storage).'
    severity: 1
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    operator: 'GreaterThan'
    threshold: 0
    query: '''
traces
| where (message contains '"event":"runFinished"' and message contains '"outcome":"failed"')
    or message contains '"event":"runNotStarted"'
'''
  }
  {
    // An absence, so it must not count the hours before the app existed: it waits until the
    // availability test, which is turned on once the app has answered healthy after its first run,
    // has results from over 26 h ago. The query returns a row only then, and only if no run finished.
    name: 'no-renewal-run-26h'
    description: 'No renewal run has finished for 26 hours: the app is stopped, disabled or failing to start.'
    severity: 1
    evaluationFrequency: 'PT1H'
    windowSize: 'P2D'
    operator: 'GreaterThan'
    threshold: 0
    query: '''
let watchedFor26h = toscalar(availabilityResults | where timestamp < ago(26h) | count) > 0;
traces
| where timestamp > ago(26h)
| where message contains '"event":"runFinished"'
| summarize finished = count()
| where finished == 0 and watchedFor26h
'''
  }
  {
    name: 'subscription-expired-or-failing'
    description: 'A subscription was lost (Graph answered 404) or recreated, could not be recreated, missed notifications, failed to renew, or cannot be kept alive.'
    severity: 2
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    operator: 'GreaterThan'
    threshold: 0
    query: '''
traces
| where message matches regex @'"event":"(subscriptionGone|recreateFailed|subscriptionRecreated|notificationsMissed|renewalFailed|tableWriteFailed|rowMalformed|cannotKeepAlive|renewalPoisoned)"'
'''
  }
]

resource queryAlerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in logAlerts: {
    name: 'alert-${alert.name}-${resourceToken}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: alert.name
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [appInsights.id]
      evaluationFrequency: alert.evaluationFrequency
      windowSize: alert.windowSize
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: 'Count'
            operator: alert.operator
            threshold: alert.threshold
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      autoMitigate: true
      actions: { actionGroups: [actionGroup.id] }
    }
  }
]

// Calls the health answer every 5 minutes from three European locations; 503 (anything wrong) fails
// it. The health answer is anonymous and says only healthy or not, so the test holds no key: a key
// would sit in plain text in its headers, readable with read access to the resource group. The
// reasons are behind the status endpoint's function key. The resource keeps the name it had when it
// called the status with a host key, so an update replaces those headers rather than leaving them.
//
// On or off is Azure's state, not a parameter: this.existingResource() is the test as it stands
// before this deployment, or null when the deployment creates it (the `this` namespace,
// learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-resource; GA since Bicep
// 0.44.1, Azure/bicep#19639, and azd 1.28.1 brings 0.45.15). So a new test is created off, when the
// app has neither code nor a finished run and would fail it (with no results, the alert below has
// nothing to fire on), and only the postdeploy hook turns it on; any later provision, from this
// machine, another clone or CI, leaves it as it is; a resource group deleted outside `azd down`
// gets a new test, off. Bicep 0.45.15 marks a template using `this` languageVersion
// 2.1-experimental (with an "experimental" note in its metadata) until ARM takes these features in
// 2.0; Bicep 0.48.1 emits 2.0 for them (Azure/bicep#20258).
resource statusTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: 'webt-status-${resourceToken}'
  location: location
  tags: union(tags, { 'hidden-link:${appInsights.id}': 'Resource' })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: 'webt-status-${resourceToken}'
    Name: 'Renewal health'
    Description: 'GET /api/webhooks/health must answer 200.'
    Enabled: this.existingResource().?properties.?Enabled ?? false
    Frequency: 300
    Timeout: 30
    Kind: 'standard'
    RetryEnabled: true
    Locations: [
      { Id: 'emea-nl-ams-azr' }
      { Id: 'emea-gb-db3-azr' }
      { Id: 'emea-fr-pra-edge' }
    ]
    Request: {
      RequestUrl: healthUrl
      HttpVerb: 'GET'
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
    }
  }
}

resource statusAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'ma-status-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    description: 'The health answer was something other than 200 (503: a subscription is expired or failing, runs stopped, or a setting is wrong; the status endpoint says which).'
    severity: 1
    enabled: true
    scopes: [statusTest.id, appInsights.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: statusTest.id
      componentId: appInsights.id
      failedLocationCount: 2
    }
    actions: [{ actionGroupId: actionGroup.id }]
  }
}

// For the postdeploy hook, which turns the test on through Azure Resource Manager.
output availabilityTestId string = statusTest.id
