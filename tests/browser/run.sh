#!/usr/bin/env bash
# Starts a real xtrace-server on port 0 and runs the browser test against it.
# usage: run.sh SCREENSHOT_DIR   (XT_SERVER_BIN in the environment; XT_STORE=clickhouse
# for a ClickHouse-backed server)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "tests/browser: playwright-core is not installed; run scripts/setup" >&2
  exit 1
fi
. "$here/../lib/xtserver.sh"
if [ "${XT_STORE:-}" = clickhouse ]; then
  # The same test against a server that keeps its reports in a two-shard
  # ClickHouse cluster of plain processes.
  . "$here/../lib/chcluster.sh"
  xt_ch_start 2
  xt_server_start --store "$(xt_ch_store_url xtui)"
  trap 'xt__cleanup; xt__ch_cleanup' EXIT
else
  xt_server_start
fi
export XT_SCREENSHOTS=$1
node "$here/ui_test.js"
