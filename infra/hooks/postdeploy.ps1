# azd postdeploy (Windows): the same steps as postdeploy.sh, which says why each one is there. Never
# fails azd: what it cannot do it says, with what to run, and exits 0. Tokens and keys stay in memory.
$attempts = if ($env:RETRY_ATTEMPTS) { [int]$env:RETRY_ATTEMPTS } else { 12 }
$pause = if ($env:RETRY_SECONDS) { [int]$env:RETRY_SECONDS } else { 10 }

function Stop-Here([string[]] $Lines) {
  $Lines | ForEach-Object { Write-Warning $_ }
  exit 0
}
function Finish-Later([string] $Problem) { Stop-Here $Problem, 'When that is done, run: azd hooks run postdeploy' }

# Sends the request until its status matches $Wanted (a regex), at most $attempts times; returns
# that answer, or $null with the last status in $script:status.
function Until-Status([string] $Wanted, [scriptblock] $Request) {
  for ($attempt = 1; $attempt -le $attempts; $attempt++) {
    try { $answer = & $Request; $script:status = [int]$answer.StatusCode } catch { $script:status = 0 }
    if ("$script:status" -match "^($Wanted)$") { return $answer }
    if ($attempt -lt $attempts) { Start-Sleep -Seconds $pause }
  }
  return $null
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
$app = $env:AZURE_RESOURCE_MANAGER_ENDPOINT.TrimEnd('/') + $env:AZURE_FUNCTION_APP_ID

$keys = Until-Status '200' { Invoke-WebRequest -Method Post -Uri "$app/host/default/listkeys?api-version=2024-04-01" -Headers $bearer -SkipHttpErrorCheck }
if (-not $keys) { Finish-Later "Azure Resource Manager did not give the app's keys (HTTP $status; your account needs Contributor on the resource group)." }
$master = ($keys.Content | ConvertFrom-Json).masterKey
if (-not $master) { Finish-Later "Azure Resource Manager's answer for the app's keys held no master key." }

$revoked = Until-Status '2\d\d|404' { Invoke-WebRequest -Method Delete -Uri "$app/host/default/functionKeys/availability-test?api-version=2024-04-01" -Headers $bearer -SkipHttpErrorCheck }
if (-not $revoked) { Write-Warning "Could not revoke the old host key 'availability-test' (HTTP $status): delete it under the Function App's App keys." }

$base = $env:HEALTH_URL -replace '/api/.*$', ''
$run = Until-Status '2\d\d' { Invoke-WebRequest -Method Post -Uri "$base/admin/functions/renewSubscriptions" -Headers @{ 'x-functions-key' = $master } -ContentType 'application/json' -Body '{}' -SkipHttpErrorCheck }
if (-not $run) { Finish-Later "The host did not start the renewal run (HTTP $status). Until then it waits for 09:00." }
Write-Host 'First renewal run started.'

$healthy = Until-Status '200' { Invoke-WebRequest -Uri $env:HEALTH_URL -SkipHttpErrorCheck }
if (-not $healthy) { Finish-Later "The app does not answer healthy yet ($env:HEALTH_URL`: HTTP $status), so the availability test stays off and alerts no one. The status says why (README, Calling the status endpoint)." }

azd env set AVAILABILITY_TEST_ENABLED true
if ($LASTEXITCODE -ne 0) { Finish-Later 'azd could not set AVAILABILITY_TEST_ENABLED=true in the environment.' }
$turnOnLater = 'Run: azd provision (it turns the availability test on, now that AVAILABILITY_TEST_ENABLED is true).'
$webtest = $env:AZURE_RESOURCE_MANAGER_ENDPOINT.TrimEnd('/') + "$env:AVAILABILITY_TEST_ID`?api-version=2022-06-15"
$read = Until-Status '200' { Invoke-WebRequest -Uri $webtest -Headers $bearer -SkipHttpErrorCheck }
if (-not $read) { Stop-Here "Could not read the availability test from Azure Resource Manager (HTTP $status).", $turnOnLater }
$definition = $read.Content | ConvertFrom-Json
if ($definition.properties.Enabled -eq $true) { Write-Host 'The app answers healthy; the availability test was already on.'; exit 0 }
if ($null -eq $definition.properties.Enabled) { Stop-Here 'The availability test read from Azure Resource Manager says nothing of being on or off.', $turnOnLater }
$definition.properties.Enabled = $true
$written = Until-Status '200|201' { Invoke-WebRequest -Method Put -Uri $webtest -Headers $bearer -ContentType 'application/json' -Body ($definition | ConvertTo-Json -Depth 32) -SkipHttpErrorCheck }
if (-not $written) { Stop-Here "Could not turn the availability test on (HTTP $status).", $turnOnLater }
Write-Host "The app answers healthy: the availability test is on, calling $env:HEALTH_URL every 5 minutes."
