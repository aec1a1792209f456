#!/usr/bin/env bash
# Debian's python3: two threads logging to stderr and two subprocesses (which
# CPython starts with vfork). Each thread's line descends from the main
# thread's line before it, the children from the interpreter, and the line
# after subprocess.run() from the child's exit (the wait joins it).
. "$(dirname "$0")/lib.sh"
cx_need /usr/bin/python3
pl_start_server
cx_prepare() {
  cat >main.py <<'PY'
import subprocess, sys, threading
print("main start", file=sys.stderr, flush=True)
turn = [threading.Event() for _ in range(3)]
def work(i):
    turn[i].wait()  # both threads live at once, their lines in a fixed order
    print("thread %d" % i, file=sys.stderr, flush=True)
    turn[i + 1].set()
threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
turn[0].set()
for t in threads:
    t.join()
r = subprocess.run(["/bin/sh", "-c", "exit 3"])
print("sh status", r.returncode)
out = subprocess.run(["/bin/echo", "from echo"], capture_output=True, text=True).stdout
print("echo said", out.strip())
print("main end", file=sys.stderr, flush=True)
PY
}
cx_pair /usr/bin/python3 main.py
[ "$(cat "$PL_TMP/base.out")" = "$(printf 'sh status 3\necho said from echo')" ] ||
  fail "unexpected output: $(cat "$PL_TMP/base.out")"

cx_graph 40 'all_exited and (starts("^/bin/sh -c exit 3$") | length == 1)
  and (starts("^/bin/echo from echo$") | length == 1)'
cx_check "not one connected graph" 'connected'
cx_check "a line of the interpreter is missing" \
  '. as $all | root as $r | all("main start", "thread 0", "thread 1", "main end"; . as $l
   | $all | any(.[]; .Label == $l and .ProcessID == $r.ProcessID))'
cx_check "the threads' lines are not each on a thread of their own, below the main thread's line" \
  'root as $r | event("main start") as $m | event("thread 0") as $a | event("thread 1") as $b
   | ([$r.ThreadID, $a.ThreadID, $b.ThreadID] | unique | length == 3)
     and descends($a; $m) and descends($b; $m)'
cx_check "a child does not descend from the interpreter" \
  'root.ProcessID as $p | . as $all
   | all(starts("^/bin/(sh|echo) ")[]; . as $s | $all | descends_from_pid($s; $p))'
cx_check "the line after subprocess.run does not descend from the child's exit" \
  'event("main end") as $e | . as $all
   | all(.[] | select(is_exit and (.ProcessName | test("^/bin/(sh|echo) ")));
         . as $x | $all | descends($e; $x))'
