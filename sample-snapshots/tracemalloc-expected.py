#!/usr/bin/env python3
"""Prints, as JSON, what Python's own tracemalloc says about one dump or a pair.

    python3 sample-snapshots/tracemalloc-expected.py NEW [OLD] > expected.json

For NEW it runs `Snapshot.statistics(key_type, cumulative)` for every key type
and cumulative flag, and, with OLD, `NEW.compare_to(OLD, key_type, cumulative)`,
each without filters and after `filter_traces` with each filter set below. Every
row is `[frames, size, count, str(row)]` (statistics) or
`[frames, size, size_diff, count, count_diff, str(row)]` (compare_to), where
`frames` is the row's traceback oldest first as `[[filename, lineno], ...]`.
heapscope's tests compare their own output with this, entry by entry, in order.
Files may be gzip-compressed.
"""

import gzip
import json
import pickle
import sys
import tracemalloc

# Filter sets, in a form both Python and the Rust tests can build filters from.
FILTER_SETS = [
    [],
    [{"kind": "filter", "inclusive": False, "pattern": "<frozen importlib._bootstrap>"},
     {"kind": "filter", "inclusive": False, "pattern": "<unknown>"}],
    [{"kind": "filter", "inclusive": True, "pattern": "/srv/app/*"}],
    [{"kind": "filter", "inclusive": True, "pattern": "*/render.py", "all_frames": True}],
    [{"kind": "filter", "inclusive": False, "pattern": "*/server.py", "all_frames": True}],
    [{"kind": "filter", "inclusive": False, "pattern": "/srv/app/server.py", "lineno": 11}],
    [{"kind": "filter", "inclusive": True, "pattern": "/srv/app/[hc]*.py"},
     {"kind": "filter", "inclusive": True, "pattern": "/srv/app/p?rse.py"}],
    [{"kind": "filter", "inclusive": True, "pattern": "*.py", "domain": 0},
     {"kind": "filter", "inclusive": False, "pattern": "*/history.py", "lineno": 5, "domain": 0}],
    [{"kind": "filter", "inclusive": True, "pattern": "/srv/app/h*.pyc"},
     {"kind": "filter", "inclusive": False, "pattern": "*render.pyc", "all_frames": True}],
    [{"kind": "domain", "inclusive": True, "domain": 0}],
    [{"kind": "domain", "inclusive": False, "domain": 0}],
]

KEYS = [("traceback", False), ("lineno", False), ("lineno", True), ("filename", False), ("filename", True)]


def load(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as fp:
        return pickle.load(fp)


def build(spec):
    if spec["kind"] == "domain":
        return tracemalloc.DomainFilter(spec["inclusive"], spec["domain"])
    return tracemalloc.Filter(spec["inclusive"], spec["pattern"], lineno=spec.get("lineno"),
                              all_frames=spec.get("all_frames", False), domain=spec.get("domain"))


def frames(traceback):
    return [[frame.filename, frame.lineno] for frame in traceback]


def main(argv):
    new = load(argv[0])
    old = load(argv[1]) if len(argv) > 1 else None
    out = {"python": sys.version.split()[0], "statistics": [], "compare": []}
    for filter_set in FILTER_SETS:
        filters = [build(spec) for spec in filter_set]
        new_f = new.filter_traces(filters)
        old_f = old.filter_traces(filters) if old is not None else None
        for key, cumulative in KEYS:
            rows = [[frames(s.traceback), s.size, s.count, str(s)]
                    for s in new_f.statistics(key, cumulative)]
            out["statistics"].append({"key": key, "cumulative": cumulative, "filters": filter_set, "rows": rows})
            if old_f is not None:
                rows = [[frames(s.traceback), s.size, s.size_diff, s.count, s.count_diff, str(s)]
                        for s in new_f.compare_to(old_f, key, cumulative)]
                out["compare"].append({"key": key, "cumulative": cumulative, "filters": filter_set, "rows": rows})
    json.dump(out, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
