# Helpers for the probe tests, on top of the preload tests' (collector,
# traced, fail, reports, wait_task_titled).
. "$XT_TOP/tests/preload/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI not installed" >&2; exit 77; }

# The labels of a task's reports of agent "probe", in report order.
probe_labels() { reports "$1" | jq -c '[.[] | select(.Agent == "probe") | .Label]'; }
