#!/usr/bin/env bash
# Starts a real xtrace-server on port 0 and runs the browser test against it.
# usage: run.sh SCREENSHOT_DIR   (XT_SERVER_BIN in the environment)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "tests/browser: playwright-core is not installed; run scripts/setup" >&2
  exit 1
fi
. "$here/../lib/xtserver.sh"
xt_server_start
export XT_SCREENSHOTS=$1
node "$here/ui_test.js"
