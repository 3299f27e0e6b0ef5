#!/usr/bin/env python3
"""Writes the large tracemalloc benchmark pair (never committed).

    python3 sample-snapshots/gen-tracemalloc-large.py [OUTDIR] [--objects N]

It writes OUTDIR/large.old.tracemalloc (about 0.6 M traces) and
OUTDIR/large.new.tracemalloc (about 2.0 M traces from N = 1.32 M kept objects,
some of which hold a second traced block), default OUTDIR
/tmp/tracemalloc-large. The allocations come from 40 generated modules of 30
functions each, reached through call chains 1 to 24 deep (traceback limit 25),
so there are tens of thousands of distinct tracebacks, as in a real service.
Between the two dumps a quarter of the old objects are freed, so a comparison
shows both growth and shrinkage. Takes about 15 s and 1 GB.
"""

import os
import random
import sys
import time
import tracemalloc

MODULES = 40
FUNCTIONS = 30


def module_source(k):
    lines = []
    for j in range(FUNCTIONS):
        nxt = (j * 7 + k + 3) % FUNCTIONS
        lines += [
            f"def f{j}(depth, out, n, kind):",
            f"    if depth > 0:",
            f"        return f{nxt}(depth - 1, out, n, kind)",
            f"    if kind == 0:",
            f"        for i in range(n):",
            f"            out.append('m{k}f{j}-' + str(i))",
            f"    elif kind == 1:",
            f"        for i in range(n):",
            f"            out.append((i, 'm{k}', {j}))",
            f"    elif kind == 2:",
            f"        for i in range(n):",
            f"            out.append(bytearray({j} + 1))",
            f"    else:",
            f"        for i in range(n):",
            f"            out.append([i] * ({j} % 5 + 1))",
        ]
    return "\n".join(lines) + "\n"


def load_modules():
    modules = []
    for k in range(MODULES):
        path = f"/srv/bigapp/pkg{k % 8}/module{k}.py"
        namespace = {"__name__": f"module{k}"}
        exec(compile(module_source(k), path, "exec"), namespace)
        modules.append(namespace)
    return modules


def allocate(modules, rng, out, total):
    made = 0
    while made < total:
        module = modules[rng.randrange(MODULES)]
        function = module[f"f{rng.randrange(FUNCTIONS)}"]
        n = min(rng.randint(20, 200), total - made)
        function(rng.randint(0, 23), out, n, rng.randrange(4))
        made += n


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    total = 1_320_000
    if "--objects" in argv:
        total = int(argv[argv.index("--objects") + 1])
        args = [a for a in args if a != str(total)]
    outdir = args[0] if args else "/tmp/tracemalloc-large"
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(7)
    tracemalloc.start(25)
    modules = load_modules()
    keep = []
    old_count = total * 3 // 10
    allocate(modules, rng, keep, old_count)
    started = time.time()
    tracemalloc.take_snapshot().dump(os.path.join(outdir, "large.old.tracemalloc"))
    print(f"old: {len(keep)} objects, dumped in {time.time() - started:.1f} s")
    # Free a quarter of the old objects, then grow.
    del keep[: len(keep) // 4]
    allocate(modules, rng, keep, total - len(keep))
    snapshot = tracemalloc.take_snapshot()
    snapshot.dump(os.path.join(outdir, "large.new.tracemalloc"))
    for name in ("large.old.tracemalloc", "large.new.tracemalloc"):
        path = os.path.join(outdir, name)
        print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB")
    print(f"new: {len(snapshot.traces)} traces")


if __name__ == "__main__":
    main(sys.argv[1:])
