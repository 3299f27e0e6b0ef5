#!/usr/bin/env node
// Prints node_count / edge_count (read from the snapshot header) and file size
// for .heapsnapshot and .heapsnapshot.gz files. Only the first few KB of each
// file are read (decompressed), so it is fast even on very large snapshots.
//
// Usage: node sample-snapshots/snapshot-info.js [--markdown] FILE...
//        (with no FILE: every *.heapsnapshot[.gz] next to this script)
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

function readHead(file, want = 16384) {
  return new Promise((resolve, reject) => {
    let src = fs.createReadStream(file, file.endsWith('.gz') ? {} : { end: want - 1 });
    const stream = file.endsWith('.gz') ? src.pipe(zlib.createGunzip()) : src;
    const chunks = [];
    let len = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      src.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    stream.on('data', (c) => {
      chunks.push(c);
      len += c.length;
      if (len >= want) finish();
    });
    stream.on('end', finish);
    stream.on('error', (e) => (done ? undefined : reject(e)));
  });
}

async function main() {
  const args = process.argv.slice(2);
  const markdown = args.includes('--markdown');
  let files = args.filter((a) => a !== '--markdown');
  if (files.length === 0) {
    files = fs
      .readdirSync(__dirname)
      .filter((f) => /\.heapsnapshot(\.gz)?$/.test(f))
      .sort()
      .map((f) => path.join(__dirname, f));
  }
  if (markdown) {
    console.log('| file | bytes | node_count | edge_count |');
    console.log('|---|---:|---:|---:|');
  }
  for (const file of files) {
    const head = await readHead(file);
    const num = (re) => {
      const m = re.exec(head);
      return m ? Number(m[1]) : NaN;
    };
    const nodes = num(/"node_count":(\d+)/);
    const edges = num(/"edge_count":(\d+)/);
    const size = fs.statSync(file).size;
    if (markdown) console.log(`| \`${path.basename(file)}\` | ${size} | ${nodes} | ${edges} |`);
    else console.log(`${file}\tbytes=${size}\tnode_count=${nodes}\tedge_count=${edges}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
