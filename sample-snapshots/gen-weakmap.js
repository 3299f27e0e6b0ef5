#!/usr/bin/env node
// Makes sample-snapshots/weakmap.heapsnapshot.gz: a real Node heap snapshot whose WeakMaps
// and WeakSets hold entries, so that V8 writes its ephemeron edges ("<n> / part of key (...)
// -> value (...) pair in WeakMap (table @<id>)"). DevTools' distances and dominators treat
// those edges specially (heap-formats-spec.md §2.4 and §2.6); the other samples have none.
//
//   node --expose-gc sample-snapshots/gen-weakmap.js [OUTDIR]
//
// What the heap holds (all deterministic, no random numbers):
// - `globalThis.sessions`: 40 `Session` keys held strongly, and a WeakMap `sessionData`
//   from each key to a `SessionData` value (with a 200-character string) reachable only
//   through the WeakMap: the value lives as long as both the key and the table.
// - `globalThis.cache`: a WeakMap whose 20 `Token` keys are held only by their own values
//   (`TokenInfo.owner`) and by an array of the values: key and value keep each other alive
//   only through the table.
// - `globalThis.seen`: a WeakSet of 10 of the sessions.
// - `globalThis.orphanTable`: a WeakMap whose keys are held elsewhere, while the table
//   itself is also reachable from a closure.
'use strict';

const fs = require('fs');
const path = require('path');
const v8 = require('v8');
const zlib = require('zlib');

const OUTDIR = process.argv[2] || __dirname;

class Session {
  constructor(i) {
    this.id = i;
    this.user = `user-${i}`;
  }
}

class SessionData {
  constructor(i) {
    this.history = 'h'.repeat(200) + i;
    this.visits = [i, i + 1, i + 2];
  }
}

class Token {
  constructor(i) {
    this.value = `token-${i}`;
  }
}

class TokenInfo {
  constructor(owner, i) {
    this.owner = owner;
    this.expires = 1000 + i;
  }
}

function build() {
  const sessions = [];
  const sessionData = new WeakMap();
  for (let i = 0; i < 40; i++) {
    const session = new Session(i);
    sessions.push(session);
    sessionData.set(session, new SessionData(i));
  }
  globalThis.sessions = sessions;
  globalThis.sessionData = sessionData;

  const cache = new WeakMap();
  const infos = [];
  for (let i = 0; i < 20; i++) {
    const token = new Token(i);
    const info = new TokenInfo(token, i);
    cache.set(token, info);
    infos.push(info);
  }
  globalThis.cache = cache;
  globalThis.tokenInfos = infos;

  const seen = new WeakSet();
  for (let i = 0; i < 10; i++) seen.add(sessions[i * 4]);
  globalThis.seen = seen;

  const orphanTable = new WeakMap();
  for (let i = 0; i < 5; i++) orphanTable.set(sessions[i], { note: `note-${i}` });
  globalThis.lookupNote = (session) => orphanTable.get(session);
}

build();
if (typeof global.gc === 'function') {
  global.gc();
  global.gc();
}
const plain = path.join(OUTDIR, 'weakmap.heapsnapshot');
v8.writeHeapSnapshot(plain);
fs.writeFileSync(`${plain}.gz`, zlib.gzipSync(fs.readFileSync(plain), { level: 9 }));
fs.unlinkSync(plain);
console.log(`${plain}.gz`);
