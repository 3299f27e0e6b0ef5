#!/usr/bin/env python3
"""Writes the small tracemalloc samples: a web-service request-history leak.

A toy request handler runs behind a stack of middleware. Every request appends a
`{"data": ..., "timestamp": ...}` record to the module-level `request_history`
list, which is never trimmed: that is the leak. Around it, the service does work
that is not a leak: a bounded LRU-ish cache, a ring buffer of latencies,
temporary parsing buffers, and a recursive template renderer that makes deep
tracebacks (deeper than the traceback limit, so `total_nframe` exceeds it).

The application code is compiled from strings under fixed file names
(`/srv/app/*.py`), so the file names in the dumps do not depend on where this
script lives.

Usage (from the repository root):

    python3 sample-snapshots/gen-tracemalloc-samples.py [OUTDIR] [--plain]

It writes `request-history.{before,after,final}.tracemalloc.gz` (gzip-compressed
`Snapshot.dump` files) into OUTDIR (default: this directory). With `--plain` it
writes uncompressed `.tracemalloc` files instead. Everything is deterministic
(a seeded random generator, no time in the data), but dumps are not byte-for-byte
reproducible across Python versions.
"""

import gzip
import os
import random
import sys
import tracemalloc

TRACEBACK_LIMIT = 25

APP_SOURCES = {
    "/srv/app/history.py": '''
request_history = []

def remember(request, payload):
    record = {"data": payload, "timestamp": request["seq"] * 0.25}
    request_history.append(record)
    return record
''',
    "/srv/app/cache.py": '''
class BoundedCache:
    def __init__(self, capacity):
        self.capacity = capacity
        self.entries = {}
        self.order = []

    def put(self, key, value):
        if key not in self.entries:
            self.order.append(key)
        self.entries[key] = value
        while len(self.order) > self.capacity:
            old = self.order.pop(0)
            del self.entries[old]

    def get(self, key):
        return self.entries.get(key)
''',
    "/srv/app/render.py": '''
def render(template, depth, context):
    if depth == 0:
        return [template.format(**context) for _ in range(2)]
    parts = render(template, depth - 1, context)
    return parts + ["<%d>" % depth]
''',
    "/srv/app/parse.py": '''
def parse_query(url):
    path, _, query = url.partition("?")
    fields = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        fields[name] = value
    return path.split("/"), fields
''',
    "/srv/app/server.py": '''
from history import remember
from render import render
from parse import parse_query

latencies = [0.0] * 64

def handle(request, cache, rng):
    segments, fields = parse_query(request["url"])
    body = render("page {name} #{seq}", rng.randint(1, 40), {"name": segments[-1], "seq": request["seq"]})
    payload = "x" * (200 + rng.randint(0, 800)) + str(request["seq"])
    remember(request, payload)
    cache.put(request["url"], body)
    latencies[request["seq"] % 64] = float(len(body))
    return body

def middleware(depth, request, cache, rng):
    if depth == 0:
        return handle(request, cache, rng)
    request.setdefault("trace", []).append(depth)
    return middleware(depth - 1, request, cache, rng)
''',
}


def load_app():
    """Compiles the application modules under their fixed file names."""
    modules = {}
    order = ["/srv/app/history.py", "/srv/app/cache.py", "/srv/app/render.py", "/srv/app/parse.py",
             "/srv/app/server.py"]
    for path in order:
        name = os.path.splitext(os.path.basename(path))[0]
        namespace = {"__name__": name}
        code = compile(APP_SOURCES[path], path, "exec")
        # The server imports its siblings by name.
        saved = {key: sys.modules.get(key) for key in modules}
        for key, module in modules.items():
            sys.modules[key] = module
        exec(code, namespace)
        for key, value in saved.items():
            if value is None:
                sys.modules.pop(key, None)
        module = type(sys)(name)
        module.__dict__.update(namespace)
        modules[name] = module
    return modules


def serve(app, cache, rng, first, count):
    """Serves `count` requests, numbered from `first`."""
    server = app["server"]
    for seq in range(first, first + count):
        url = "/api/v1/items/%d?page=%d&sort=name" % (seq % 97, seq % 7)
        request = {"url": url, "seq": seq}
        server.middleware(rng.randint(0, 30), request, cache, rng)


def main(argv):
    plain = "--plain" in argv
    args = [a for a in argv if not a.startswith("--")]
    outdir = args[0] if args else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)

    tracemalloc.start(TRACEBACK_LIMIT)
    app = load_app()
    cache = app["cache"].BoundedCache(50)
    rng = random.Random(20261126)

    plan = [("before", 200), ("after", 1500), ("final", 1500)]
    seq = 0
    for label, requests in plan:
        serve(app, cache, rng, seq, requests)
        seq += requests
        snapshot = tracemalloc.take_snapshot()
        name = "request-history.%s.tracemalloc" % label
        path = os.path.join(outdir, name)
        snapshot.dump(path)
        if not plain:
            with open(path, "rb") as src, gzip.open(path + ".gz", "wb", compresslevel=9) as dst:
                dst.write(src.read())
            os.remove(path)
            path += ".gz"
        print("%s: %d traces, %d bytes" % (path, len(snapshot.traces), os.path.getsize(path)))
    tracemalloc.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
