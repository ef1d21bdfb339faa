#!/bin/sh
# azd postdeploy: runs the renewal once right after the deploy, so the status and the availability
# test see a real run at once instead of waiting for 09:00; then waits for the app to answer healthy
# and turns the availability test on: at its first 200, or all the same once the wait is over.
# Provisioning creates a new test off, because it would fail, and alert, while the app has no code
# and no finished run yet, and otherwise keeps the state the test has in Azure
# (infra/app/alerts.bicep): this hook is the one thing that turns it on, and it writes nothing to the
# azd environment.
#
# It needs nothing but `azd auth login`, no `az`: azd gives it an Azure Resource Manager token
# (`azd auth token`, for the tenant of the environment's subscription; azure-dev cli/azd/cmd/auth_token.go),
# with which it reads the app's master key from ARM (Web Apps - List Host Keys) and asks the host to run
# the timer function (POST /admin/functions/renewSubscriptions).
#
# The deployment has succeeded when this runs, and a hook that fails would fail `azd up` (azure-dev
# cli/azd/pkg/ext/hooks_runner.go; azure.yaml's continueOnError only turns that into a warning):
# whatever it cannot do, it says, with what to run, and exits 0.
# Tokens and keys are never printed, and never put on a command line, where `ps` would show them.
set -uf # -f: no file name expansion, so a status pattern such as 2?? stays a pattern

# The host may still be starting after a deploy: each call is tried for about two minutes.
ATTEMPTS=${RETRY_ATTEMPTS:-12}
PAUSE=${RETRY_SECONDS:-10}

# Says what could not be done and what to run, then ends the hook without failing azd.
stop() {
  printf '%s\n' "$@" >&2
  exit 0
}
finish_later() {
  stop "$1" 'When that is done, run: azd hooks run postdeploy'
}

# curl's own error for a call that got no answer, kept for the message rather than printed on each try.
if curl_errors=$(mktemp 2>/dev/null); then trap 'rm -f "$curl_errors"' EXIT; else curl_errors=; fi

# curl with one header, which it reads from stdin (--config -), not from its command line: the one
# header is where a token or a key goes. Prints the answer's body, then its HTTP status on a line of
# its own (000: no answer at all: no connection, no name, a timeout; curl's error is in $curl_errors).
# A call that hangs ends after 30 s (--max-time) and counts as one try.
curl_with() {
  header=$1
  shift
  printf 'header = "%s"\n' "$header" |
    curl --config - --silent --show-error --max-time 30 --write-out '\n%{http_code}' "$@" 2>"${curl_errors:-/dev/null}"
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

# What the last until_status got, for a message: the HTTP status, or that nothing answered and why.
# A status of 000 is no answer at all, not a refusal: it says nothing of permissions.
outcome() {
  if [ "$status" != 000 ]; then
    printf 'HTTP %s after %s tries' "$status" "$attempt"
    return
  fi
  reason=
  [ -n "$curl_errors" ] && reason=$(tail -n 1 "$curl_errors")
  printf 'no answer after %s tries%s' "$attempt" "${reason:+; $reason}"
}

# What a failed call to Azure Resource Manager asks of the user, after outcome.
arm_advice() {
  case $status in
    401 | 403) printf ': your account needs Contributor on the resource group' ;;
    000) printf ': this machine did not reach %s (network, proxy or firewall)' "$arm" ;;
  esac
}

# The value of a string field of a JSON answer (tokens and keys hold no quotes).
field() {
  printf '%s\n' "$body" | sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" | head -n 1
}

# Many tenants (docs/tenants.md): the URL a customer tenant's admin opens to consent, said first so that
# it is said whatever this hook cannot do afterwards. Empty (not said) in a single-tenant deployment.
if [ -n "${ADMIN_CONSENT_URL:-}" ]; then
  printf '%s\n' "Multi-tenant: a customer tenant's admin opens $ADMIN_CONSENT_URL with {tenant} replaced by the tenant's id; then run: npm run ops -- tenant add <tenant id> (docs/tenants.md)."
fi

for name in AZURE_RESOURCE_MANAGER_ENDPOINT AZURE_FUNCTION_APP_ID AVAILABILITY_TEST_ID HEALTH_URL; do
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
until_status 200 curl_with "Authorization: Bearer $token" --request POST --header 'Content-Type: application/json' --data '{}' "$app/host/default/listkeys?api-version=2024-04-01" ||
  finish_later "Azure Resource Manager did not give the app's keys ($(outcome))$(arm_advice)."
master=$(field masterKey)
[ -n "$master" ] || finish_later "Azure Resource Manager's answer for the app's keys held no master key."

# Earlier versions gave the availability test a host key, readable in the test's settings: revoke it.
until_status '2?? 404' curl_with "Authorization: Bearer $token" --request DELETE "$app/host/default/functionKeys/availability-test?api-version=2024-04-01" ||
  printf '%s\n' "Could not revoke the old host key 'availability-test' ($(outcome))$(arm_advice); delete it under the Function App's App keys." >&2

base=${HEALTH_URL%%/api/*}
until_status '2??' curl_with "x-functions-key: $master" --request POST --header 'Content-Type: application/json' --data '{}' "$base/admin/functions/renewSubscriptions" ||
  finish_later "The host did not start the renewal run ($(outcome)). Until then it waits for 09:00, and this hook does not turn the availability test on: nothing has run that it could see."
echo "First renewal run started."

# A healthy app's first run finishes in seconds: the wait ends at the first 200, and only then is the
# test turned on, so a healthy first deployment gives it nothing to fail. An app still unhealthy
# when the wait is over is broken, not slow: the test is turned on all the same, so it alerts
# rather than going unwatched (the metric alert needs 2 failing locations within 15 minutes).
if until_status 200 curl_with 'Accept: application/json' "$HEALTH_URL"; then
  healthy=true
else
  healthy=false
  printf '%s\n' "The app does not answer healthy ($HEALTH_URL: $(outcome)). The status says why (README, Calling the status endpoint)." >&2
fi
on_anyway='The availability test is on all the same, so this deployment alerts while it stays unhealthy rather than going unwatched.'

turn_on_later="To turn it on, run: azd hooks run postdeploy (or, in the portal: Application Insights ${APPLICATIONINSIGHTS_NAME:-of the resource group} > Availability > Renewal health > Enable)."
webtest="$arm$AVAILABILITY_TEST_ID?api-version=2022-06-15"
until_status 200 curl_with "Authorization: Bearer $token" "$webtest" ||
  stop "Could not read the availability test from Azure Resource Manager ($(outcome))$(arm_advice)." "$turn_on_later"
case $body in
  *'"Enabled":true'* | *'"Enabled": true'*)
    if $healthy; then echo 'The app answers healthy; the availability test was already on.'; else echo "$on_anyway"; fi
    exit 0
    ;;
esac
# Web tests take no PATCH of their properties (Web Tests - Update Tags changes tags only): the
# definition read is written back (Web Tests - Create Or Update), turned on. It holds no secret.
definition=$(printf '%s\n' "$body" | sed 's/"Enabled"[[:space:]]*:[[:space:]]*false/"Enabled":true/')
case $definition in
  *'"Enabled":true'*) ;;
  *) stop 'The availability test read from Azure Resource Manager says nothing of being on or off.' "$turn_on_later" ;;
esac
until_status '200 201' curl_with "Authorization: Bearer $token" --request PUT --header 'Content-Type: application/json' --data-binary "$definition" "$webtest" ||
  stop "Could not turn the availability test on ($(outcome))$(arm_advice)." "$turn_on_later"
if $healthy; then
  echo "The app answers healthy: the availability test is on, calling $HEALTH_URL every 5 minutes."
else
  echo "$on_anyway It calls $HEALTH_URL every 5 minutes."
fi
