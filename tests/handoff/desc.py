#!/usr/bin/env python3
"""desc.py A B < reports.json: exit 0 if the event labelled A descends from
every event labelled B (B may match several: "worker 1 done", ...), 1 if
not, 2 if a label is missing. Labels are compared without trailing space."""
import json
import sys

reports = json.load(sys.stdin)
parents = {r["EventID"]: r.get("ParentEventID") or [] for r in reports}
by_label = {}
for r in reports:
    by_label.setdefault(r.get("Label", "").rstrip(), []).append(r["EventID"])
a, b = sys.argv[1], sys.argv[2]
if a not in by_label or b not in by_label:
    sys.exit(2)
seen, stack = set(), list(parents[by_label[a][0]])
while stack:
    x = stack.pop()
    if x not in seen:
        seen.add(x)
        stack.extend(parents.get(x, []))
sys.exit(0 if all(e in seen for e in by_label[b]) else 1)
