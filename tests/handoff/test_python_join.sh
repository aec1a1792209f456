#!/usr/bin/env bash
# Debian's python3: threading.Thread.join waits on a semaphore the worker
# posts as it ends, never in pthread_join. The line after the joins has each
# worker's last line among its ancestors.
. "$(dirname "$0")/lib.sh"
pl_start_server
traced "$HO_PY" "$HO_DIR/py/join.py" 2>"$PL_TMP/err"
t=$(wait_task_titled "join.py" '[.[] | select(.Label | startswith("exit "))] | length == 1')
r=$(reports "$t")
for i in 0 1 2 3; do
  python3 "$HO_DIR/desc.py" joined "worker $i done" <<<"$r" \
    || fail "'joined' does not descend from worker $i's last line: $r"
done
