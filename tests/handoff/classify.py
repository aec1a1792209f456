#!/usr/bin/env python3
"""Classifies the hand-offs of a traced job program from its reports.

Reads the reports of one task (a JSON array, /interactive/reports form) on
stdin. Jobs are numbered: the submitter logs "submit N", the worker "job N"
(and, when the submitter waits, it logs "result N" once it has it back).
For each job:
  correct   "job N" descends from "submit N";
  wrong     it does not, but descends from another job's "submit M";
  orphaned  it descends from no submit event at all;
  extra     (counted among the correct) it also descends from a "submit M"
            that "submit N" does not descend from: an edge from another
            request on top of the right one.
results: how many "result N" events descend from their "job N" (the
joins back into the submitter).
Prints one JSON object.
"""
import json
import re
import sys

reports = json.load(sys.stdin)
parents = {}
submit, job, result = {}, {}, {}
pat = re.compile(r"^(submit|job|result) (\d+)\s*$")
for r in reports:
    e = r["EventID"]
    parents[e] = r.get("ParentEventID") or []
    m = pat.match(r.get("Label", ""))
    if m:
        {"submit": submit, "job": job, "result": result}[m.group(1)][int(m.group(2))] = e

memo = {}


def ancestors(e):
    """Every event e descends from (itself excluded), iteratively."""
    if e in memo:
        return memo[e]
    seen, stack = set(), list(parents.get(e, []))
    while stack:
        x = stack.pop()
        if x in seen:
            continue
        seen.add(x)
        if x in memo:
            seen |= memo[x]
            continue
        stack.extend(parents.get(x, []))
    memo[e] = seen
    return seen


sub_of = {v: k for k, v in submit.items()}
out = {"jobs": len(job), "correct": 0, "wrong": 0, "orphaned": 0, "extra": 0,
       "results": 0, "results_joined": 0, "bad": []}
for n, e in sorted(job.items()):
    anc = ancestors(e)
    subs = {sub_of[a] for a in anc if a in sub_of}
    if n in subs:
        out["correct"] += 1
        own = ancestors(submit[n])
        if any(submit[m] not in own for m in subs if m != n):
            out["extra"] += 1
            out.setdefault("extra_jobs", []).append(n)
    elif subs:
        out["wrong"] += 1
        out["bad"].append(n)
    else:
        out["orphaned"] += 1
        out["bad"].append(n)
for n, e in result.items():
    out["results"] += 1
    if n in job and job[n] in ancestors(e):
        out["results_joined"] += 1
print(json.dumps(out))
