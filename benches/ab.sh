#!/bin/bash
# A/B timing of heapscope binaries on a noisy machine: runs each binary in turn, RUNS times,
# with the same arguments, and prints per binary the median and minimum wall time, median
# user and system CPU, and median peak RSS (from /usr/bin/time).
#
#   cp target/release/heapscope /tmp/hs-before   # build, copy, change, build again, then:
#   BINS="/tmp/hs-before target/release/heapscope" benches/ab.sh 5 summary /tmp/large/large.heapsnapshot --limit 1
#
# With WARMUP=1 each measured run follows an unmeasured run of the same binary, so each binary is
# timed with the memory its own previous run freed (on a VM that hands idle memory back to its
# host, the first run after another program, or after an idle spell, waits for the host).
set -euo pipefail
runs=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$runs"); do
    for b in $BINS; do
        if [ "${WARMUP:-0}" = 1 ]; then "$b" "$@" >/dev/null 2>&1 || true; fi
        /usr/bin/time -f "$b %e %U %S %M" "$b" "$@" 2>>"$out" >/dev/null
    done
done
python3 - "$out" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    parts = line.split()
    # The binaries' own stderr lands here too: keep only the lines `time` wrote.
    if len(parts) == 5:
        try:
            row = tuple(map(float, parts[1:]))
        except ValueError:
            continue
        runs[parts[0]].append(row)
for binary, rows in runs.items():
    wall, user, system, rss = (list(column) for column in zip(*rows))
    print(f"{binary}: wall median {statistics.median(wall):.2f} s, min {min(wall):.2f} s | "
          f"user {statistics.median(user):.2f} s, sys {statistics.median(system):.2f} s | "
          f"peak RSS {statistics.median(rss) / 1024:.0f} MiB | {len(wall)} runs")
PY
