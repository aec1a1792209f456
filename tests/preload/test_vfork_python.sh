#!/usr/bin/env bash
# Debian's python3 starts subprocesses with vfork + exec: the line it writes
# after subprocess.run must still be recorded, and the child is in the task.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/process_lib.sh"
py=/usr/bin/python3
[ -x "$py" ] || fail "$py is missing (scripts/setup installs python3)"
pl_start_server
code='import subprocess,sys; print("a",file=sys.stderr); subprocess.run(["true"]); print("b",file=sys.stderr)'
traced "$py" -c "$code" 2>"$PL_TMP/err" || fail "python3 exited $?"
[ "$(cat "$PL_TMP/err")" = "$(printf 'a\nb')" ] || fail "python3 output: $(cat "$PL_TMP/err")"
r=$(wait_task_where "$py -c" "$(has_labels a b true)")
# The TSan runtime turns vfork into fork (its interceptor), so the child's
# entry in the parent's table of traced children lands in the child's own
# copy: no join there, and none is asserted.
join=', exit_of(ev("true").ProcessID).EventID'
if [ "${XT_SANITIZE:-}" = thread ]; then join=; fi
check "$r" 'ev("b").ParentEventID == [ev("a").EventID'"$join"']
  and (ev("true") as $t | $t.ParentEventID == [ev("a").EventID] and $t.ProcessName == "true")' \
  "'b' must follow 'a' and join the exit of 'true', which starts from 'a'"
