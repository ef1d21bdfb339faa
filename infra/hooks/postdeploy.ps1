# azd postdeploy (Windows): the same steps as postdeploy.sh, which says why each one is there. Never
# fails azd: what it cannot do it says, with what to run, and exits 0. Tokens and keys stay in memory.

# Where pwsh is not on PATH, azd 1.28.1 runs this with Windows PowerShell 5 (powershell.exe; azure-dev
# cli/azd/pkg/tools/powershell/powershell.go, resolvePowerShell), and Invoke-WebRequest there has no
# -SkipHttpErrorCheck: every call would fail. So this is checked first, and said, and the hook ends
# without failing azd up (a #Requires -Version 7 line would fail it). Until then, this file must
# also parse in Windows PowerShell 5.1: no PowerShell 7 operators, and ASCII only (5.1 reads a file
# without a byte order mark in the ANSI code page).
if ($PSVersionTable.PSVersion.Major -lt 7) {
  Write-Warning "This hook needs PowerShell 7; azd ran it with Windows PowerShell $($PSVersionTable.PSVersion) because pwsh is not on PATH. The deployment itself is done; the first renewal run waits for 09:00 and the availability test was not turned on."
  Write-Warning 'Install PowerShell 7: winget install Microsoft.PowerShell'
  Write-Warning 'Then, in a new terminal: azd hooks run postdeploy'
  exit 0
}

$attempts = if ($env:RETRY_ATTEMPTS) { [int]$env:RETRY_ATTEMPTS } else { 12 }
$pause = if ($env:RETRY_SECONDS) { [int]$env:RETRY_SECONDS } else { 10 }

function Stop-Here([string[]] $Lines) {
  $Lines | ForEach-Object { Write-Warning $_ }
  exit 0
}
function Finish-Later([string] $Problem) { Stop-Here $Problem, 'When that is done, run: azd hooks run postdeploy' }

# Sends the request until its status matches $Wanted (a regex), at most $attempts times; returns
# that answer, or $null with the last status in $script:status. A request that throws (with
# -SkipHttpErrorCheck, only when nothing answered: no connection, no name, a timeout) leaves
# $script:status $null and its error in $script:failure: no answer, which says nothing of permissions.
function Until-Status([string] $Wanted, [scriptblock] $Request) {
  for ($attempt = 1; $attempt -le $attempts; $attempt++) {
    try { $answer = & $Request; $script:status = [int]$answer.StatusCode; $script:failure = $null }
    catch { $script:status = $null; $script:failure = $_.Exception.Message }
    if ($null -ne $script:status -and "$script:status" -match "^($Wanted)$") { return $answer }
    if ($attempt -lt $attempts) { Start-Sleep -Seconds $pause }
  }
  return $null
}
# What the last Until-Status got, for a message.
function Get-Outcome {
  if ($null -ne $script:status) { return "HTTP $script:status after $attempts tries" }
  return "no answer after $attempts tries; $script:failure"
}
# What a failed call to Azure Resource Manager asks of the user, after Get-Outcome.
function Get-ArmAdvice {
  if ($script:status -eq 401 -or $script:status -eq 403) { return ': your account needs Contributor on the resource group' }
  if ($null -eq $script:status) { return ": this machine did not reach $arm (network, proxy or firewall)" }
  return ''
}

# Many tenants: the admin consent URL, said first (postdeploy.sh says why). Empty in a single-tenant deployment.
if ($env:ADMIN_CONSENT_URL) {
  Write-Host "Multi-tenant: a customer tenant's admin opens $env:ADMIN_CONSENT_URL with {tenant} replaced by the tenant's id; then run: npm run ops -- tenant add <tenant id> (docs/tenants.md)."
}

foreach ($name in 'AZURE_RESOURCE_MANAGER_ENDPOINT', 'AZURE_FUNCTION_APP_ID', 'AVAILABILITY_TEST_ID', 'HEALTH_URL') {
  if (-not [Environment]::GetEnvironmentVariable($name)) {
    Finish-Later "$name is not in the azd environment: it was provisioned by an older infra/. Run: azd provision"
  }
}

$token = $null
try { $token = (azd auth token --output json | ConvertFrom-Json).token } catch { }
if (-not $token) { Finish-Later 'azd gave no Azure token: sign in with: azd auth login' }
$bearer = @{ Authorization = "Bearer $token" }
$arm = $env:AZURE_RESOURCE_MANAGER_ENDPOINT.TrimEnd('/')
$app = $arm + $env:AZURE_FUNCTION_APP_ID

$keys = Until-Status '200' { Invoke-WebRequest -Method Post -Uri "$app/host/default/listkeys?api-version=2024-04-01" -Headers $bearer -ContentType 'application/json' -Body '{}' -SkipHttpErrorCheck -TimeoutSec 30 }
if (-not $keys) { Finish-Later "Azure Resource Manager did not give the app's keys ($(Get-Outcome))$(Get-ArmAdvice)." }
$master = ($keys.Content | ConvertFrom-Json).masterKey
if (-not $master) { Finish-Later "Azure Resource Manager's answer for the app's keys held no master key." }

$revoked = Until-Status '2\d\d|404' { Invoke-WebRequest -Method Delete -Uri "$app/host/default/functionKeys/availability-test?api-version=2024-04-01" -Headers $bearer -SkipHttpErrorCheck -TimeoutSec 30 }
if (-not $revoked) { Write-Warning "Could not revoke the old host key 'availability-test' ($(Get-Outcome))$(Get-ArmAdvice); delete it under the Function App's App keys." }

$base = $env:HEALTH_URL -replace '/api/.*$', ''
$run = Until-Status '2\d\d' { Invoke-WebRequest -Method Post -Uri "$base/admin/functions/renewSubscriptions" -Headers @{ 'x-functions-key' = $master } -ContentType 'application/json' -Body '{}' -SkipHttpErrorCheck -TimeoutSec 30 }
if (-not $run) { Finish-Later "The host did not start the renewal run ($(Get-Outcome)). Until then it waits for 09:00, and this hook does not turn the availability test on: nothing has run that it could see." }
Write-Host 'First renewal run started.'

# Healthy or not once the wait is over, the test is turned on (postdeploy.sh says why).
$healthy = [bool](Until-Status '200' { Invoke-WebRequest -Uri $env:HEALTH_URL -SkipHttpErrorCheck -TimeoutSec 30 })
if (-not $healthy) { Write-Warning "The app does not answer healthy ($env:HEALTH_URL`: $(Get-Outcome)). The status says why (README, Calling the status endpoint)." }
$onAnyway = 'The availability test is on all the same, so this deployment alerts while it stays unhealthy rather than going unwatched.'

$insights = if ($env:APPLICATIONINSIGHTS_NAME) { $env:APPLICATIONINSIGHTS_NAME } else { 'of the resource group' }
$turnOnLater = "To turn it on, run: azd hooks run postdeploy (or, in the portal: Application Insights $insights > Availability > Renewal health > Enable)."
$webtest = $arm + "$env:AVAILABILITY_TEST_ID`?api-version=2022-06-15"
$read = Until-Status '200' { Invoke-WebRequest -Uri $webtest -Headers $bearer -SkipHttpErrorCheck -TimeoutSec 30 }
if (-not $read) { Stop-Here "Could not read the availability test from Azure Resource Manager ($(Get-Outcome))$(Get-ArmAdvice).", $turnOnLater }
$definition = $read.Content | ConvertFrom-Json
if ($definition.properties.Enabled -eq $true) {
  if ($healthy) { Write-Host 'The app answers healthy; the availability test was already on.' } else { Write-Host $onAnyway }
  exit 0
}
if ($null -eq $definition.properties.Enabled) { Stop-Here 'The availability test read from Azure Resource Manager says nothing of being on or off.', $turnOnLater }
$definition.properties.Enabled = $true
$written = Until-Status '200|201' { Invoke-WebRequest -Method Put -Uri $webtest -Headers $bearer -ContentType 'application/json' -Body ($definition | ConvertTo-Json -Depth 32) -SkipHttpErrorCheck -TimeoutSec 30 }
if (-not $written) { Stop-Here "Could not turn the availability test on ($(Get-Outcome))$(Get-ArmAdvice).", $turnOnLater }
if ($healthy) { Write-Host "The app answers healthy: the availability test is on, calling $env:HEALTH_URL every 5 minutes." } else { Write-Host "$onAnyway It calls $env:HEALTH_URL every 5 minutes." }
