#!/usr/bin/env python3
"""Times what the tracemalloc benchmark asks of Python, on a pair of dumps.

    python3 sample-snapshots/tracemalloc-bench.py OLD NEW

Loads both dumps (`tracemalloc.Snapshot.load`), then runs `NEW.statistics('lineno')`,
`NEW.compare_to(OLD, 'lineno')` and `NEW.compare_to(OLD, 'traceback')`. Prints one JSON
object: the seconds of each step and in total, and the row counts (to check that
heapscope did the same work).
"""

import json
import sys
import time
import tracemalloc


def main(argv):
    times = {}
    started = time.perf_counter()
    old = tracemalloc.Snapshot.load(argv[0])
    new = tracemalloc.Snapshot.load(argv[1])
    times["load"] = time.perf_counter() - started
    step = time.perf_counter()
    stats = new.statistics("lineno")
    times["statistics_lineno"] = time.perf_counter() - step
    step = time.perf_counter()
    by_line = new.compare_to(old, "lineno")
    times["compare_lineno"] = time.perf_counter() - step
    step = time.perf_counter()
    by_traceback = new.compare_to(old, "traceback")
    times["compare_traceback"] = time.perf_counter() - step
    times["total"] = time.perf_counter() - started
    rows = {"statistics_lineno": len(stats), "compare_lineno": len(by_line),
            "compare_traceback": len(by_traceback),
            "traces_old": len(old.traces), "traces_new": len(new.traces)}
    print(json.dumps({"seconds": times, "rows": rows}))


if __name__ == "__main__":
    main(sys.argv[1:])
