# azd preprovision (Windows): the same as preprovision.sh.
$ErrorActionPreference = 'Stop'
if (-not $env:AVAILABILITY_TEST_KEY) {
  $bytes = [byte[]]::new(32)
  [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
  azd env set AVAILABILITY_TEST_KEY ([System.Convert]::ToHexString($bytes).ToLower())
  Write-Host 'Made a function key for the availability test (AVAILABILITY_TEST_KEY).'
}
