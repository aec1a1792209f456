"""Numbered jobs submitted to a concurrent.futures.ThreadPoolExecutor (or,
with "queue", to threading workers reading a queue.Queue) from several
submitter threads, each waiting for its job's result:
    pool.py executor|queue SUBMITTERS JOBS_EACH WORKERS SEED [serial|run [PACE_US]]
Logged lines: "submit N", "job N", "result N" (see classify.py). serial:
one request at a time (a lock held from submission to result). PACE_US: a
pause before each submission (requests spaced out)."""
import os
import queue
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

kind, nsub, each, nwork, seed = sys.argv[1], *map(int, sys.argv[2:6])
serial = len(sys.argv) > 6 and sys.argv[6] == "serial"
pace = int(sys.argv[7]) if len(sys.argv) > 7 else 0
token = threading.Lock()


def log(s):
    os.write(2, (s + "\n").encode())


def busy(n):
    x = 0
    for i in range(n):
        x += i
    return x


def job(n, work):
    busy(work)
    log("job %d" % n)
    return n


if kind == "executor":
    ex = ThreadPoolExecutor(max_workers=nwork)

    def run(n, work):
        return ex.submit(job, n, work).result()
else:
    q = queue.Queue()

    class Req:
        def __init__(self):
            self.cv = threading.Condition()
            self.out = None

    def qworker():
        while True:
            item = q.get()
            if item is None:
                return
            n, work, req = item
            r = job(n, work)
            with req.cv:
                req.out = r
                req.cv.notify()

    workers = [threading.Thread(target=qworker) for _ in range(nwork)]
    for w in workers:
        w.start()

    def run(n, work):
        req = Req()
        with req.cv:
            q.put((n, work, req))
            while req.out is None:
                req.cv.wait()
        return req.out


def submitter(i):
    rnd = random.Random(seed * 7919 + i)
    for k in range(each):
        n = i * each + k
        work = rnd.randrange(2000)
        busy(rnd.randrange(2000))
        if pace:
            time.sleep((pace / 2 + rnd.randrange(pace)) / 1e6)
        if serial:
            token.acquire()
        log("submit %d" % n)
        assert run(n, work) == n
        log("result %d" % n)
        if serial:
            token.release()


subs = [threading.Thread(target=submitter, args=(i,)) for i in range(nsub)]
for t in subs:
    t.start()
for t in subs:
    t.join()
if kind == "executor":
    ex.shutdown()
else:
    for _ in workers:
        q.put(None)
    for w in workers:
        w.join()
log("done")
