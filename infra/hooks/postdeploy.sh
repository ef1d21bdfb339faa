#!/bin/sh
# azd postdeploy: puts the availability test's key on the app (a key made during provisioning fails
# while the host is not yet running), then runs the renewal once, so the status and its alerts
# reflect a real run right away instead of waiting for 09:00. Secrets are passed, never printed.
set -eu
: "${AZURE_RESOURCE_GROUP:?run azd provision first}"
: "${AZURE_FUNCTION_APP_NAME:?run azd provision first}"
: "${AVAILABILITY_TEST_KEY:?run azd provision first (its preprovision hook makes the key)}"
: "${STATUS_URL:?run azd provision first}"

# The host may still be starting after a deploy: try for about two minutes.
retry() {
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge "${RETRY_ATTEMPTS:-12}" ]; then
      echo "Gave up after $attempt attempts: $1" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep "${RETRY_SECONDS:-10}"
  done
}

retry az functionapp keys set --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
  --key-type functionKeys --key-name availability-test --key-value "$AVAILABILITY_TEST_KEY" --output none
echo "Availability test key set on $AZURE_FUNCTION_APP_NAME."

master=$(az functionapp keys list --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
  --query masterKey --output tsv)
base=${STATUS_URL%%/api/*}
retry curl --fail --silent --show-error --output /dev/null --request POST \
  --header "x-functions-key: $master" --header "Content-Type: application/json" --data '{}' \
  "$base/admin/functions/renewSubscriptions"
echo "First renewal run started. Status: $STATUS_URL (needs a function key, see README)."
