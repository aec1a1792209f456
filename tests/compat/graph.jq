# jq definitions over one task's reports (the array the collector serves at
# /interactive/reports/TASK), for the compatibility suite's graph checks.

def tags: .Tag // [];
def has_tag($t): tags | index($t) != null;
# A process image's first event: "main" for the root, "start" for one that
# inherited the task through its environment.
def is_start: has_tag("start") or has_tag("main");
def is_exit: has_tag("exit");

def by_id: map({key: .EventID, value: .}) | from_entries;
def pids: map(.ProcessID) | unique;
def root: first(.[] | select(has_tag("main")));
def has_label($l): any(.[]; .Label == $l);
def event($l): first(.[] | select(.Label == $l));
def starts($re): map(select(is_start and (.Label | test($re))));
def exited($pid): any(.[]; .ProcessID == $pid and is_exit);
def all_exited: . as $r | all(pids[]; . as $p | $r | exited($p));

# The graph is one tree of causes: a single event without parents, and every
# parent named is an event of the task.
def connected:
  (map(.EventID) | map({key: ., value: true}) | from_entries) as $ids
  | (map(select((.ParentEventID // []) | length == 0)) | length) == 1
    and all(.[].ParentEventID[]?; $ids[.] == true);

# Every event $e descends from, transitively.
def ancestors($e):
  by_id as $m
  | {seen: {}, todo: ($e.ParentEventID // [])}
  | until(.todo | length == 0;
      .todo[0] as $p | .todo |= .[1:]
      | if .seen[$p] then . else .seen[$p] = true | .todo += ($m[$p].ParentEventID // []) end)
  | .seen | keys | map($m[.] | select(. != null));

def descends($e; $a): any(ancestors($e)[]; .EventID == $a.EventID);
# $e has a cause in a process whose command line matches $re.
def descends_from_process($e; $re): any(ancestors($e)[]; .ProcessName | test($re));
def descends_from_pid($e; $pid): any(ancestors($e)[]; .ProcessID == $pid);

# The processes whose first image is a fork of another (no start event of
# their own before their first event): forked workers, subshells.
def first_event($pid): map(select(.ProcessID == $pid)) | min_by(.HRT);

# The event with which a process recorded the fork of child $pid.
def fork_event($pid):
  first(.[] | select(has_tag("fork") and (.child_pid == "\($pid)" or .Label == "fork child \($pid)")));
