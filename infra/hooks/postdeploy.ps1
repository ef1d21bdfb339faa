# azd postdeploy (Windows): the same as postdeploy.sh.
$ErrorActionPreference = 'Stop'
foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'AVAILABILITY_TEST_KEY', 'STATUS_URL') {
  if (-not (Get-Item "env:$name" -ErrorAction SilentlyContinue)) { throw "$name is not set: run azd provision first." }
}
function Retry([scriptblock] $Action) {
  for ($attempt = 1; ; $attempt++) {
    try { & $Action; if ($LASTEXITCODE -and $LASTEXITCODE -ne 0) { throw "exit code $LASTEXITCODE" }; return }
    catch { if ($attempt -ge 12) { throw }; Start-Sleep -Seconds 10 }
  }
}
Retry { az functionapp keys set --resource-group $env:AZURE_RESOURCE_GROUP --name $env:AZURE_FUNCTION_APP_NAME --key-type functionKeys --key-name availability-test --key-value $env:AVAILABILITY_TEST_KEY --output none }
Write-Host "Availability test key set on $env:AZURE_FUNCTION_APP_NAME."
$master = az functionapp keys list --resource-group $env:AZURE_RESOURCE_GROUP --name $env:AZURE_FUNCTION_APP_NAME --query masterKey --output tsv
$base = $env:STATUS_URL -replace '/api/.*$', ''
Retry { Invoke-RestMethod -Method Post -Uri "$base/admin/functions/renewSubscriptions" -Headers @{ 'x-functions-key' = $master } -ContentType 'application/json' -Body '{}' | Out-Null }
Write-Host "First renewal run started. Status: $env:STATUS_URL (needs a function key, see README)."
