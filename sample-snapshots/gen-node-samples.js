#!/usr/bin/env node
// Generates the small sample V8 heap snapshots used by heapscope's tests and
// examples: three classic Node.js leaks, three snapshots each (before / after /
// final), gzip-compressed.
//
// Usage:
//   node sample-snapshots/gen-node-samples.js [OUTDIR] [--keep-plain]
//
// OUTDIR defaults to the directory holding this script. Every scenario runs in
// its own child process (started with --expose-gc) so one scenario's objects
// never show up in another scenario's snapshots. The parent then compresses
// each snapshot to <name>.heapsnapshot.gz (gzip level 9) and deletes the plain
// file unless --keep-plain is given.
//
// Internal (child) mode:
//   node --expose-gc gen-node-samples.js --scenario NAME OUTDIR
//
// No npm dependencies; plain CommonJS. Everything is deterministic (fixed
// counts, no random numbers); only Date.now() timestamps differ between runs.
'use strict';

const fs = require('fs');
const path = require('path');
const v8 = require('v8');
const zlib = require('zlib');
const { spawnSync } = require('child_process');
const { EventEmitter } = require('events');

const SCENARIOS = ['request-history', 'emitter-listeners', 'map-cache'];
const PHASES = ['before', 'after', 'final'];

// ---------------------------------------------------------------------------
// Argument handling
// ---------------------------------------------------------------------------
const argv = process.argv.slice(2);
const scenarioIdx = argv.indexOf('--scenario');
const SCENARIO = scenarioIdx >= 0 ? argv[scenarioIdx + 1] : null;
const KEEP_PLAIN = argv.includes('--keep-plain');
const positional = argv.filter(
  (a, i) => !a.startsWith('--') && !(scenarioIdx >= 0 && i === scenarioIdx + 1)
);
const OUTDIR = path.resolve(positional[0] || __dirname);

// ---------------------------------------------------------------------------
// Shared helpers used by every scenario
// ---------------------------------------------------------------------------

// Non-leaking noise #1: a bounded ring buffer of recent latency samples. Its
// size stays constant, but its entries are replaced, so a comparison between
// two snapshots sees objects that were freed and others that were allocated
// with no net growth.
const RECENT_MAX = 64;
globalThis.recentLatencies = [];
function recordLatency(url, i) {
  const list = globalThis.recentLatencies;
  list.push({ url, ms: (i * 7) % 113, seq: i });
  if (list.length > RECENT_MAX) list.shift();
}

// Non-leaking noise #2: temporary arrays and objects created per request and
// dropped before the request ends (collected by the next GC).
function churn(req, i) {
  const parts = req.url.split('/');
  const scratch = new Array(32).fill(i);
  const headersCopy = Object.assign({}, req.headers, { 'x-seq': String(i) });
  const tmp = parts.map((p, k) => ({ p, k, sum: scratch[k % scratch.length] + k }));
  return tmp.length + Object.keys(headersCopy).length;
}

function makeRequest(i) {
  return {
    method: i % 5 === 0 ? 'POST' : 'GET',
    url: `/api/v1/items/${i}/details`,
    headers: { host: 'localhost:3000', 'user-agent': 'sample-client/1.0', accept: 'application/json' },
    body: i % 5 === 0 ? { itemId: i, quantity: (i % 9) + 1, note: `order note #${i}` } : null,
  };
}

function gc() {
  if (typeof global.gc === 'function') {
    // A few rounds so weak/finalizable things settle.
    global.gc();
    global.gc();
  }
}

function snapshot(phase) {
  gc();
  const file = path.join(OUTDIR, `${SCENARIO}.${phase}.heapsnapshot`);
  v8.writeHeapSnapshot(file);
  return file;
}

// ---------------------------------------------------------------------------
// Scenario 1: request-history
// A global array that records every request and is never trimmed.
// Leak root: globalThis.requestHistory (Array) -> elements -> {data, timestamp}
// ---------------------------------------------------------------------------
function handleRequest(req, i) {
  // The leak: every request is appended to a global, unbounded array.
  globalThis.requestHistory.push({
    data: JSON.stringify({ method: req.method, url: req.url, body: req.body, seq: i }),
    timestamp: Date.now(),
  });
  recordLatency(req.url, i);
  return churn(req, i);
}

function runRequestHistory() {
  globalThis.requestHistory = [];
  let i = 0;
  const run = (n) => { for (const end = i + n; i < end; i++) handleRequest(makeRequest(i), i); };
  run(10);   snapshot('before');
  run(2000); snapshot('after');
  run(2000); snapshot('final');
}

// ---------------------------------------------------------------------------
// Scenario 2: emitter-listeners
// Every request creates a LeakyClass that subscribes to a long-lived event bus
// and never unsubscribes. The listener closure captures `this`, so each
// instance (and its ~10 KB string) stays reachable from the bus.
// Leak root: globalThis.bus (EventEmitter) -> _events.tick (Array of closures)
//            -> closure context -> this (LeakyClass) -> bigString
// ---------------------------------------------------------------------------
const bus = SCENARIO === 'emitter-listeners' ? new EventEmitter() : undefined;
if (bus) {
  bus.setMaxListeners(0);
  globalThis.bus = bus;
}

// Builds a distinct *flat* (sequential) one-byte string of about `len` chars.
// split('').join('') forces V8 to materialise a fresh sequential string instead
// of a cons/sliced string that would share the repeated prefix.
function distinctFlatString(len, i) {
  const suffix = `#${i}`;
  return ('x'.repeat(len - suffix.length) + suffix).split('').join('');
}

class LeakyClass {
  constructor(i) {
    this.id = i;
    this.bigString = distinctFlatString(10000, i);
    bus.on('tick', () => this.onTick());
  }
  onTick() {}
}

function handleEmitterRequest(req, i) {
  // The leak: the instance is unreachable from the caller but not from `bus`.
  new LeakyClass(i);
  recordLatency(req.url, i);
  return churn(req, i);
}

function runEmitterListeners() {
  let i = 0;
  const run = (n) => { for (const end = i + n; i < end; i++) handleEmitterRequest(makeRequest(i), i); };
  run(10);  snapshot('before');
  run(200); snapshot('after');
  run(200); snapshot('final');
}

// ---------------------------------------------------------------------------
// Scenario 3: map-cache
// A memoisation cache keyed by 'user:<id>' that never evicts.
// Leak root: globalThis.cache (Map) -> table -> 'user:N' keys and user objects
// ---------------------------------------------------------------------------
const cache = SCENARIO === 'map-cache' ? new Map() : undefined;
if (cache) globalThis.cache = cache;

const CITIES = ['Lisbon', 'Oslo', 'Austin', 'Kyoto', 'Nairobi', 'Lima', 'Perth'];
const TAGS = ['admin', 'beta', 'trial', 'pro', 'legacy', 'vip'];

function computeUser(id) {
  return {
    id,
    name: `User ${id}`,
    email: `user${id}@example.com`,
    profile: {
      age: 18 + (id % 60),
      city: CITIES[id % CITIES.length],
      tags: [TAGS[id % TAGS.length], TAGS[(id * 7) % TAGS.length]],
      createdAt: 1700000000000 + id * 1000,
    },
  };
}

function getUser(id) {
  const key = 'user:' + id;
  let user = cache.get(key);
  if (user === undefined) {
    user = computeUser(id);
    cache.set(key, user); // The leak: nothing is ever deleted.
  }
  return user;
}

function handleCacheRequest(req, i) {
  const user = getUser(i);
  recordLatency(req.url, i);
  return churn(req, i) + user.id;
}

function runMapCache() {
  let i = 0;
  const run = (n) => { for (const end = i + n; i < end; i++) handleCacheRequest(makeRequest(i), i); };
  run(10);   snapshot('before');
  run(3000); snapshot('after');
  run(3000); snapshot('final');
}

// ---------------------------------------------------------------------------
// Parent: spawn one child per scenario, then compress.
// ---------------------------------------------------------------------------
function readHeaderCounts(buf) {
  const head = buf.subarray(0, 8192).toString('latin1');
  const n = /"node_count":(\d+)/.exec(head);
  const e = /"edge_count":(\d+)/.exec(head);
  return { nodes: n ? Number(n[1]) : NaN, edges: e ? Number(e[1]) : NaN };
}

function main() {
  fs.mkdirSync(OUTDIR, { recursive: true });
  for (const name of SCENARIOS) {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--expose-gc', __filename, '--scenario', name, OUTDIR], {
      stdio: 'inherit',
    });
    if (r.status !== 0) {
      console.error(`scenario ${name} failed (status ${r.status}, signal ${r.signal})`);
      process.exit(1);
    }
    for (const phase of PHASES) {
      const plain = path.join(OUTDIR, `${name}.${phase}.heapsnapshot`);
      const buf = fs.readFileSync(plain);
      const gz = zlib.gzipSync(buf, { level: 9 });
      fs.writeFileSync(plain + '.gz', gz);
      if (!KEEP_PLAIN) fs.unlinkSync(plain);
      const { nodes, edges } = readHeaderCounts(buf);
      console.log(
        `${path.basename(plain)}.gz  ${(gz.length / 1024).toFixed(0)} KiB ` +
          `(plain ${(buf.length / 1024 / 1024).toFixed(1)} MiB)  nodes=${nodes} edges=${edges}`
      );
    }
    console.log(`  ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

if (SCENARIO) {
  if (typeof global.gc !== 'function') {
    console.error('warning: run with --expose-gc; snapshots will include garbage');
  }
  fs.mkdirSync(OUTDIR, { recursive: true });
  switch (SCENARIO) {
    case 'request-history': runRequestHistory(); break;
    case 'emitter-listeners': runEmitterListeners(); break;
    case 'map-cache': runMapCache(); break;
    default:
      console.error(`unknown scenario: ${SCENARIO} (expected one of ${SCENARIOS.join(', ')})`);
      process.exit(2);
  }
} else {
  main();
}
