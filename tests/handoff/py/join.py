"""Four (or argv[1]) threading.Thread workers, each logging its last line, joined with
Thread.join (CPython waits on the thread's lock, a semaphore; it never calls
pthread_join: its threads are detached)."""
import os
import sys
import threading


def work(i):
    os.write(2, b"worker %d done\n" % i)


n = int(sys.argv[1]) if len(sys.argv) > 1 else 4
threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
os.write(2, b"joined\n")
