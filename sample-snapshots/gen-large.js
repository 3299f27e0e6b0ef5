#!/usr/bin/env node
// Generates a pair of LARGE V8 heap snapshots for heapscope benchmarks.
// The output is never committed (see .gitignore); regenerate it locally.
//
// Usage (from the repository root):
//   node --max-old-space-size=16000 --expose-gc sample-snapshots/gen-large.js \
//        [--scale S] [--out DIR]
//
// Writes (plain JSON, not compressed):
//   DIR/large.before.heapsnapshot  taken after ~40% of the simulated requests
//   DIR/large.heapsnapshot         taken at the end
// DIR defaults to the current directory; S defaults to 1.
//
// With --scale 1 (Node v20) the final snapshot has ~11 M nodes, ~32 M edges and
// is ~800-850 MB; the before snapshot is ~300-350 MB. Expect a few minutes of
// run time and several GB of RAM (the snapshot generator itself needs a lot of
// native memory on top of the JS heap).
//
// What the process holds (all deterministic: fixed counts, no random numbers):
//   leaks (grow without bound)
//     globalThis.requestHistory  Array of {data, timestamp}, one per request
//     globalThis.bus             EventEmitter; _events.tick holds one closure per
//                                LeakyClass, each closure's context holds `this`
//     globalThis.cache           Map 'user:<id>' -> computed user record
//   ordinary application state (grows with the number of users / orders)
//     globalThis.app.users       Map id -> User (profile, addresses, prefs Map)
//     globalThis.app.orders      Array of Order (items, shipping, closures)
//     globalThis.app.sessions    Map token -> Session; sessions expire, so part
//                                of this is freed between the two snapshots
//   plus per-request temporaries that are garbage by snapshot time.
'use strict';

const fs = require('fs');
const path = require('path');
const v8 = require('v8');
const { EventEmitter } = require('events');

// ---------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------
function parseArgs(argv) {
  const opts = { scale: 1, out: '.' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--scale') opts.scale = Number(argv[++i]);
    else if (a.startsWith('--scale=')) opts.scale = Number(a.slice(8));
    else if (a === '--out') opts.out = argv[++i];
    else if (a.startsWith('--out=')) opts.out = a.slice(6);
    else if (a === '-h' || a === '--help') {
      console.log('usage: node --max-old-space-size=16000 --expose-gc gen-large.js [--scale S] [--out DIR]');
      process.exit(0);
    } else {
      console.error(`unknown argument: ${a}`);
      process.exit(2);
    }
  }
  if (!(opts.scale > 0)) {
    console.error('--scale must be a positive number');
    process.exit(2);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const OUTDIR = path.resolve(opts.out);

// Number of simulated requests at --scale 1 (tuned so the final snapshot has
// ~11 M nodes with Node v20).
const REQUESTS_PER_SCALE = 515000;
const TOTAL_REQUESTS = Math.max(1000, Math.round(REQUESTS_PER_SCALE * opts.scale));
const BEFORE_AT = Math.round(TOTAL_REQUESTS * 0.4);

// Cadences (every N-th request does X).
const EVERY_CACHE = 2;      // getUser() with a new id          -> cache leak
const EVERY_LEAKY = 50;     // new LeakyClass (~10 KB string)   -> listener leak
const EVERY_USER = 6;       // new registered User              -> app state
const EVERY_ORDER = 2;      // new Order                        -> app state
const EVERY_SESSION = 3;    // new Session                      -> app state (expires)
const SESSION_TTL = 30000;  // sessions older than this many requests are dropped

// ---------------------------------------------------------------------------
// Small deterministic helpers
// ---------------------------------------------------------------------------
const FIRST = ['Ada', 'Linus', 'Grace', 'Alan', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Frances', 'Edsger'];
const LAST = ['Lovelace', 'Torvalds', 'Hopper', 'Turing', 'Liskov', 'Thompson', 'Hamilton', 'Ritchie', 'Allen', 'Dijkstra'];
const CITIES = ['Lisbon', 'Oslo', 'Austin', 'Kyoto', 'Nairobi', 'Lima', 'Perth', 'Tallinn', 'Quito', 'Dakar'];
const STREETS = ['Main St', 'High St', 'Elm Ave', 'Oak Rd', 'Pine Ln', 'Cedar Ct', 'Maple Dr'];
const TAGS = ['admin', 'beta', 'trial', 'pro', 'legacy', 'vip', 'staff', 'partner'];
const SKUS = ['SKU-APPLE', 'SKU-BREAD', 'SKU-CHEESE', 'SKU-DATES', 'SKU-EGGS', 'SKU-FLOUR', 'SKU-GRAPES', 'SKU-HONEY'];
const ROUTES = ['/api/v1/users', '/api/v1/orders', '/api/v1/items', '/api/v1/cart', '/api/v1/search'];

// Deterministic integer mixer (not random: the same input always gives the
// same output) used to vary sizes and picks.
function mix(n) {
  n = Math.imul(n ^ (n >>> 16), 0x45d9f3b);
  n = Math.imul(n ^ (n >>> 16), 0x45d9f3b);
  return (n ^ (n >>> 16)) >>> 0;
}

// ---------------------------------------------------------------------------
// Leak 1: request history
// ---------------------------------------------------------------------------
globalThis.requestHistory = [];

function handleRequest(req) {
  globalThis.requestHistory.push({
    data: JSON.stringify({ method: req.method, url: req.url, seq: req.seq }),
    timestamp: Date.now(),
  });
}

// ---------------------------------------------------------------------------
// Leak 2: event listeners that are never removed
// ---------------------------------------------------------------------------
const bus = new EventEmitter();
bus.setMaxListeners(0);
globalThis.bus = bus;

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

// ---------------------------------------------------------------------------
// Leak 3: a cache that never evicts
// ---------------------------------------------------------------------------
const cache = new Map();
globalThis.cache = cache;

function computeUser(id) {
  const h = mix(id);
  return {
    id,
    name: `${FIRST[h % 10]} ${LAST[(h >>> 4) % 10]}`,
    email: `user${id}@example.com`,
    profile: {
      age: 18 + (h % 60),
      city: CITIES[(h >>> 8) % CITIES.length],
      tags: [TAGS[h % TAGS.length], TAGS[(h >>> 3) % TAGS.length]],
      createdAt: 1700000000000 + id * 1000,
    },
  };
}

function getUser(id) {
  const key = 'user:' + id;
  let u = cache.get(key);
  if (u === undefined) {
    u = computeUser(id);
    cache.set(key, u);
  }
  return u;
}

// ---------------------------------------------------------------------------
// Ordinary application objects
// ---------------------------------------------------------------------------
class Address {
  constructor(n) {
    const h = mix(n);
    this.street = `${(h % 999) + 1} ${STREETS[h % STREETS.length]}`;
    this.city = CITIES[(h >>> 5) % CITIES.length];
    this.zip = String(10000 + (h % 89999));
    this.geo = { lat: ((h % 18000) - 9000) / 100, lng: (((h >>> 7) % 36000) - 18000) / 100 };
  }
}

class User {
  constructor(id) {
    const h = mix(id + 7);
    this.id = id;
    this.firstName = FIRST[h % FIRST.length];
    this.lastName = LAST[(h >>> 4) % LAST.length];
    this.handle = `u_${id.toString(36)}`;
    this.profile = {
      bio: `Bio of user ${id}`,
      age: 18 + (h % 60),
      verified: (h & 1) === 1,
      avatar: { url: `/avatars/${id}.png`, width: 64, height: 64 },
    };
    this.addresses = [new Address(id * 2)];
    if (h % 3 === 0) this.addresses.push(new Address(id * 2 + 1));
    this.prefs = new Map([
      ['theme', (h & 2) ? 'dark' : 'light'],
      ['lang', (h & 4) ? 'en' : 'pt'],
      ['newsletter', (h & 8) !== 0],
    ]);
    this.tags = [TAGS[h % TAGS.length], TAGS[(h >>> 2) % TAGS.length], TAGS[(h >>> 5) % TAGS.length]];
    this.orders = [];
  }
  get displayName() {
    return `${this.firstName} ${this.lastName}`;
  }
}

class Order {
  constructor(id, user) {
    const h = mix(id + 13);
    this.id = id;
    this.user = user;
    this.status = ['new', 'paid', 'shipped', 'delivered'][h % 4];
    const n = 1 + (h % 4);
    this.items = [];
    let total = 0;
    for (let k = 0; k < n; k++) {
      const price = ((mix(id * 8 + k) % 5000) + 99) / 100;
      const qty = 1 + (k % 3);
      this.items.push({ sku: SKUS[(h + k) % SKUS.length], qty, price });
      total += price * qty;
    }
    this.total = Math.round(total * 100) / 100;
    this.shipping = { method: (h & 1) ? 'express' : 'standard', address: user ? user.addresses[0] : null };
    const createdAt = 1700000000000 + id * 250;
    this.createdAt = createdAt;
    // A closure per order (e.g. a memoised formatter).
    this.describe = () => `order ${id} (${this.items.length} items, ${this.total})`;
  }
}

class Session {
  constructor(token, user, seq) {
    this.token = token;
    this.user = user;
    this.createdSeq = seq;
    this.lastSeen = seq;
    this.attributes = new Map([['csrf', `csrf-${token}`], ['cart', []]]);
    this.touch = (s) => { this.lastSeen = s; };
  }
}

globalThis.app = {
  users: new Map(),
  userList: [],
  orders: [],
  sessions: new Map(),
  sessionQueue: [], // tokens in creation order, for expiry
  stats: { requests: 0, errors: 0 },
};

// Per-request temporaries that become garbage.
function churn(req) {
  const parts = req.url.split('/');
  const scratch = new Array(16).fill(req.seq);
  const tmp = parts.map((p, k) => ({ p, k, v: scratch[k % scratch.length] }));
  return tmp.length;
}

function expireSessions(seq) {
  const app = globalThis.app;
  const q = app.sessionQueue;
  let dropped = 0;
  while (q.length > dropped) {
    const s = app.sessions.get(q[dropped]);
    if (s && seq - s.createdSeq <= SESSION_TTL) break;
    app.sessions.delete(q[dropped]);
    dropped++;
  }
  if (dropped > 0) q.splice(0, dropped);
}

function simulate(from, to) {
  const app = globalThis.app;
  for (let seq = from; seq < to; seq++) {
    const req = {
      method: seq % 7 === 0 ? 'POST' : 'GET',
      url: `${ROUTES[seq % ROUTES.length]}/${seq}`,
      seq,
    };
    handleRequest(req);
    churn(req);
    app.stats.requests++;

    if (seq % EVERY_CACHE === 0) getUser(seq / EVERY_CACHE);
    if (seq % EVERY_LEAKY === 0) new LeakyClass(seq / EVERY_LEAKY);
    if (seq % EVERY_USER === 0) {
      const u = new User(app.userList.length);
      app.users.set(u.id, u);
      app.userList.push(u);
    }
    if (seq % EVERY_ORDER === 0 && app.userList.length > 0) {
      const u = app.userList[mix(seq) % app.userList.length];
      const o = new Order(app.orders.length, u);
      app.orders.push(o);
      u.orders.push(o);
    }
    if (seq % EVERY_SESSION === 0 && app.userList.length > 0) {
      const token = `sess-${seq.toString(16)}`;
      const u = app.userList[mix(seq + 1) % app.userList.length];
      app.sessions.set(token, new Session(token, u, seq));
      app.sessionQueue.push(token);
    }
    if (seq % 1000 === 0) {
      expireSessions(seq);
      for (const s of app.sessions.values()) {
        if (s.lastSeen + 100 < seq) s.touch(seq);
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Snapshot helpers
// ---------------------------------------------------------------------------
function gc() {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  } else {
    console.warn('warning: run with --expose-gc; the snapshot will include garbage');
  }
}

function readHeader(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(4096);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  const head = buf.subarray(0, n).toString('latin1');
  const num = (re) => { const m = re.exec(head); return m ? Number(m[1]) : NaN; };
  return { nodes: num(/"node_count":(\d+)/), edges: num(/"edge_count":(\d+)/) };
}

function takeSnapshot(name) {
  const file = path.join(OUTDIR, name);
  const t0 = Date.now();
  gc();
  const tGc = Date.now();
  v8.writeHeapSnapshot(file);
  const t1 = Date.now();
  const size = fs.statSync(file).size;
  const { nodes, edges } = readHeader(file);
  const mem = process.memoryUsage();
  console.log(
    `${file}: node_count=${nodes} edge_count=${edges} size=${size} bytes ` +
      `(${(size / 1e6).toFixed(1)} MB) gc=${((tGc - t0) / 1000).toFixed(1)}s ` +
      `write=${((t1 - tGc) / 1000).toFixed(1)}s heapUsed=${(mem.heapUsed / 1e6).toFixed(0)} MB ` +
      `rss=${(mem.rss / 1e6).toFixed(0)} MB`
  );
  return { file, nodes, edges, size };
}

function main() {
  fs.mkdirSync(OUTDIR, { recursive: true });
  const t0 = Date.now();
  console.log(`node ${process.version}, scale ${opts.scale}: ${TOTAL_REQUESTS} requests, before snapshot at ${BEFORE_AT}`);

  simulate(0, BEFORE_AT);
  console.log(`simulated ${BEFORE_AT} requests in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  const before = takeSnapshot('large.before.heapsnapshot');

  const t1 = Date.now();
  simulate(BEFORE_AT, TOTAL_REQUESTS);
  console.log(`simulated ${TOTAL_REQUESTS - BEFORE_AT} more requests in ${((Date.now() - t1) / 1000).toFixed(1)}s`);
  const fin = takeSnapshot('large.heapsnapshot');

  const app = globalThis.app;
  console.log(
    `held: requestHistory=${globalThis.requestHistory.length} listeners=${bus.listenerCount('tick')} ` +
      `cache=${cache.size} users=${app.users.size} orders=${app.orders.length} sessions=${app.sessions.size}`
  );
  console.log('summary:');
  for (const s of [before, fin]) {
    console.log(`  ${path.basename(s.file)}  nodes=${s.nodes}  edges=${s.edges}  bytes=${s.size}`);
  }
  console.log(`total time ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

main();
