#!/usr/bin/env bash
# Debian's python3: jobs submitted to a ThreadPoolExecutor, and to
# threading workers reading a queue.Queue, from three submitter threads.
# Every job descends from its own submission and every result joins its
# job. Requests are served one at a time, so each job reaches a worker that
# waits for work.
. "$(dirname "$0")/lib.sh"
pl_start_server
for kind in executor queue; do
  traced "$HO_PY" "$HO_DIR/py/pool.py" $kind 3 3 2 7 serial 2>"$PL_TMP/err"
  c=$(ho_classify "pool.py $kind 3 3 2 7 serial")
  jq -e '.jobs == 9 and .correct == 9 and .results_joined == 9' <<<"$c" >/dev/null \
    || fail "$kind: hand-offs not followed: $c"
done
