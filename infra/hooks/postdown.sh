#!/bin/sh
# azd postdown: the resources are gone, the availability test with them. The next azd up creates a
# new test before the new app has code or a finished run; with AVAILABILITY_TEST_ENABLED back at
# false it is created off, and postdeploy turns it on once the new app answers healthy.
set -u
azd env set AVAILABILITY_TEST_ENABLED false ||
  printf '%s\n' 'Could not reset AVAILABILITY_TEST_ENABLED. Before the next azd up, run: azd env set AVAILABILITY_TEST_ENABLED false' >&2
exit 0
