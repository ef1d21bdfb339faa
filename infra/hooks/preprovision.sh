#!/bin/sh
# azd preprovision: makes the availability test's function key once per azd environment and keeps
# it there (.azure/<env>/.env), so provisioning (the web test) and deployment (the key on the app)
# use the same value. azd passes the environment's values to hooks as environment variables.
set -eu
if [ -z "${AVAILABILITY_TEST_KEY:-}" ]; then
  key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
  azd env set AVAILABILITY_TEST_KEY "$key"
  echo "Made a function key for the availability test (AVAILABILITY_TEST_KEY)."
fi
