#!/bin/sh
# azd postdeploy: runs the renewal once right after the deploy, so the status and the availability
# test see a real run at once instead of waiting for 09:00.
#
# It needs nothing but `azd auth login`, no `az`: azd gives it an Azure Resource Manager token
# (`azd auth token`, for the tenant of the environment's subscription; azure-dev cli/azd/cmd/auth_token.go),
# with which it reads the app's master key from ARM (Web Apps - List Host Keys) and asks the host to run
# the timer function (POST /admin/functions/renewSubscriptions).
#
# The deployment has succeeded when this runs, and a hook that fails fails `azd up` (azure-dev
# cli/azd/pkg/ext/hooks_runner.go): whatever it cannot do, it says, with what to run, and exits 0.
# Tokens and keys are never printed, and never put on a command line, where `ps` would show them.
set -uf # -f: no file name expansion, so a status pattern such as 2?? stays a pattern

# The host may still be starting after a deploy: each call is tried for about two minutes.
ATTEMPTS=${RETRY_ATTEMPTS:-12}
PAUSE=${RETRY_SECONDS:-10}

# Says what could not be done and how to finish, then ends the hook without failing azd.
finish_later() {
  printf '%s\n' "$1" 'When that is done, run: azd hooks run postdeploy' >&2
  exit 0
}

# curl with one secret header, which it reads from stdin (--config -), not from its command line.
# Prints the answer's body, then its HTTP status on a line of its own (000: no answer at all).
curl_with() {
  header=$1
  shift
  printf 'header = "%s"\n' "$header" | curl --config - --silent --show-error --write-out '\n%{http_code}' "$@"
}

# Runs a curl_with call until its status matches one of the patterns in $1 (e.g. '2?? 404'), at most
# ATTEMPTS times. Leaves the answer's body in $body and its status in $status; fails when none matched.
until_status() {
  wanted=$1
  shift
  attempt=1
  while :; do
    answer=$("$@")
    status=$(printf '%s\n' "$answer" | tail -n 1)
    body=$(printf '%s\n' "$answer" | sed '$d')
    for pattern in $wanted; do
      # shellcheck disable=SC2254 # a pattern on purpose
      case $status in $pattern) return 0 ;; esac
    done
    [ "$attempt" -ge "$ATTEMPTS" ] && return 1
    attempt=$((attempt + 1))
    sleep "$PAUSE"
  done
}

# The value of a string field of a JSON answer (tokens and keys hold no quotes).
field() {
  printf '%s\n' "$body" | sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" | head -n 1
}

for name in AZURE_RESOURCE_MANAGER_ENDPOINT AZURE_FUNCTION_APP_ID HEALTH_URL; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || finish_later "$name is not in the azd environment: it was provisioned by an older infra/. Run: azd provision"
done
command -v curl >/dev/null 2>&1 || finish_later 'curl is not installed: install it. Until then the first renewal run waits for 09:00.'

# --output json: the raw token is the default only since azd 1.23.14 (azure-dev #7384).
body=$(azd auth token --output json)
token=$(field token)
[ -n "$token" ] || finish_later 'azd gave no Azure token: sign in with: azd auth login'

arm=${AZURE_RESOURCE_MANAGER_ENDPOINT%/}
app="$arm$AZURE_FUNCTION_APP_ID"
until_status 200 curl_with "Authorization: Bearer $token" --request POST --data '' "$app/host/default/listkeys?api-version=2024-04-01" ||
  finish_later "Azure Resource Manager did not give the app's keys (HTTP $status after $attempt tries; your account needs Contributor on the resource group)."
master=$(field masterKey)
[ -n "$master" ] || finish_later "Azure Resource Manager's answer for the app's keys held no master key."

# Earlier versions gave the availability test a host key, readable in the test's settings: revoke it.
until_status '2?? 404' curl_with "Authorization: Bearer $token" --request DELETE "$app/host/default/functionKeys/availability-test?api-version=2024-04-01" ||
  printf '%s\n' "Could not revoke the old host key 'availability-test' (HTTP $status): delete it under the Function App's App keys." >&2

base=${HEALTH_URL%%/api/*}
until_status '2??' curl_with "x-functions-key: $master" --request POST --header 'Content-Type: application/json' --data '{}' "$base/admin/functions/renewSubscriptions" ||
  finish_later "The host did not start the renewal run (HTTP $status after $attempt tries). Until then it waits for 09:00."
echo "First renewal run started. Health: $HEALTH_URL"
