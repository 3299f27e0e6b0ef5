#!/usr/bin/env python3
"""Writes the hostile and broken inputs in this directory (run from anywhere).

Each file must give heapscope one clear error (or, for `ok-*` files, load and analyse) within
bounded time and memory; `expected.txt` says which message each gives. The test suite loads every
file listed there (`tests/integration/hostile_inputs.rs`).
"""
import gzip
import os
import pickle
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

META = ('{"node_fields":["type","name","id","self_size","edge_count"],'
        '"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],'
        '"string","number","number","number"],"edge_fields":["type","name_or_index","to_node"],'
        '"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]}')


def snapshot(nodes, edges, strings, node_count=None, edge_count=None, extra=""):
    node_count = len(nodes) // 5 if node_count is None else node_count
    edge_count = len(edges) // 3 if edge_count is None else edge_count
    return ('{"snapshot":{"meta":%s,"node_count":%d,"edge_count":%d},"nodes":[%s],"edges":[%s],"strings":%s%s}'
            % (META, node_count, edge_count, ",".join(map(str, nodes)), ",".join(map(str, edges)), strings, extra))


def write(name, data):
    if isinstance(data, str):
        data = data.encode()
    if name.endswith(".gz") and not data.startswith(b"\x1f\x8b"):
        data = gzip.compress(data, 9, mtime=0)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    good = snapshot([9, 0, 1, 0, 1, 3, 1, 3, 16, 0], [2, 2, 5], '["","A","p"]')
    write("v8-truncated-in-header.heapsnapshot", good[:40])
    write("v8-truncated-in-nodes.heapsnapshot", good[:good.index('"nodes":[') + 14])
    write("v8-truncated-in-strings.heapsnapshot", good[:-6])
    write("v8-truncated.heapsnapshot.gz", gzip.compress(good.encode())[:-9])
    # Huge declared counts, tiny arrays: refused by the memory guard before anything is allocated.
    write("v8-huge-declared-counts.heapsnapshot", snapshot([9, 0, 1, 0, 0], [], '[""]', 10**11, 4 * 10**11))
    # Plausible counts, tiny arrays: the arrays disagree with the header.
    write("v8-counts-disagree.heapsnapshot", snapshot([9, 0, 1, 0, 0], [], '[""]', 5_000_000, 0))
    # A header nested a million levels deep, and a skipped section nested as deep.
    write("v8-deeply-nested-header.heapsnapshot.gz", '{"snapshot":' + "[" * 1_000_000 + "]" * 1_000_000 + "}")
    write("v8-deeply-nested-section.heapsnapshot.gz",
          good[:-1] + ',"trace_tree":' + "[" * 1_000_000 + "]" * 1_000_000 + "}")
    write("v8-invalid-escape.heapsnapshot", snapshot([9, 0, 1, 0, 0], [], '["", "bad \\x escape"]'))
    write("v8-truncated-unicode-escape.heapsnapshot", snapshot([9, 0, 1, 0, 0], [], '["", "\\u12"]'))
    write("v8-edge-out-of-range.heapsnapshot", snapshot([9, 0, 1, 0, 1, 3, 1, 3, 16, 0], [2, 2, 500], '["","A","p"]'))
    write("v8-edge-not-a-node.heapsnapshot", snapshot([9, 0, 1, 0, 1, 3, 1, 3, 16, 0], [2, 2, 7], '["","A","p"]'))
    write("v8-binary-garbage.heapsnapshot", bytes(range(256)) * 8)
    write("v8-negative-number.heapsnapshot", snapshot([9, 0, 1, -5, 0], [], '[""]'))
    # Cycles everywhere: every node holds every node (valid: it loads and is analysed).
    n = 60
    nodes, edges = [], []
    for v in range(n):
        nodes += [9 if v == 0 else 3, 1, 2 * v + 1, 8, n]
        edges += sum(([2, 2, 5 * t] for t in range(n)), [])
    write("ok-cycles-everywhere.heapsnapshot", snapshot(nodes, edges, '["","A","p"]'))

    # Pickles.
    write("pickle-deep-marks.pickle.gz", b"\x80\x04" + b"(" * 1_000_000 + b".")
    write("pickle-deep-tuples.pickle.gz", b"\x80\x04)" + b"\x85" * 1_000_000 + b".")
    write("pickle-giant-memo-index.pickle", b"\x80\x02K\x01r\xff\xff\xff\xffj\xfe\xff\xff\xff.")
    write("pickle-huge-declared-length.pickle", b"\x80\x04\x8d" + struct.pack("<Q", 1 << 62) + b"abc")
    write("pickle-huge-long.pickle", b"\x80\x04\x8b" + struct.pack("<I", 0x7FFFFFFF) + b"\x01\x02")

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo heapscope-must-not-run-this",))
    write("pickle-os-system.pickle", pickle.dumps(Evil(), protocol=4))
    write("pickle-os-system-protocol2.pickle", pickle.dumps(Evil(), protocol=2))
    write("pickle-plain-dict.pickle", pickle.dumps({"traces": [1, 2, 3]}, protocol=5))
    write("pickle-not-a-snapshot-list.pickle", pickle.dumps([(0, 1, (("a.py", 1),), 1)], protocol=5))
    write("pickle-protocol-0.pickle", pickle.dumps([1, 2], protocol=0))


if __name__ == "__main__":
    main()
