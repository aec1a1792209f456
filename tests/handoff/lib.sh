# Helpers for the hand-off tests, on top of the preload tests' (server,
# LD_PRELOAD order under sanitizers, task lookup).
. "$XT_TOP/tests/preload/lib.sh"
HO_DIR=$XT_TOP/tests/handoff

# Runs a traced command and prints the classification of its task (see
# classify.py). The task is the one whose first label is the command line;
# its exit event, the last one the process sends, marks it complete.
ho_classify() {
  local title=$1
  shift
  local t
  t=$(wait_task_titled "$title" '[.[] | select(.Label | startswith("exit "))] | length == 1')
  reports "$t" | python3 "$HO_DIR/classify.py"
}

# Debian's interpreter, not whatever python3 comes first on PATH (a version
# manager's shim would run it behind a shell and a fork).
HO_PY=${HO_PY:-/usr/bin/python3}

# Polls the reports of a task given by its hex ID until the jq filter holds.
wait_reports_of() {
  local id=$1 filter=$2 deadline=$((SECONDS + 30)) r
  while [ "$SECONDS" -le "$deadline" ]; do
    r=$(reports "$id" 2>/dev/null || true)
    if [ -n "$r" ] && jq -e "$filter" <<<"$r" >/dev/null 2>&1; then
      echo "$r"
      return 0
    fi
    sleep 0.2
  done
  fail "task $id never satisfied $filter: $(xt_tasks_json)"
}
