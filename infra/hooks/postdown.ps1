# azd postdown (Windows): the same as postdown.sh, which says why.
azd env set AVAILABILITY_TEST_ENABLED false
if ($LASTEXITCODE -ne 0) { Write-Warning 'Could not reset AVAILABILITY_TEST_ENABLED. Before the next azd up, run: azd env set AVAILABILITY_TEST_ENABLED false' }
exit 0
