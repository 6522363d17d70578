/**
 * The loader's memory reuse and its packet writing, with the statement sizes real dumps have:
 * many INSERTs of hundreds of kilobytes (views of pooled read chunks or pooled copies, handed out
 * again and again while other statements are still queued) and one over 16 MiB (sent as several protocol packets). The result
 * must equal the mysql client's load, byte for byte.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { importDump } from '../../pipeline/stages/import.js';
import { statementPool } from '../../pipeline/dump/buffer-pool.js';
import { skip } from '../helpers/db.js';
import { compareDatabases, dumpPair, type DumpPair } from './import-fixture.js';

/** A value with every escape mysqldump writes, multi-byte text and a quote, `n` bytes or so. */
function body(seed: number, n: number): string {
  const unit = `line ${seed}: Grüße 😀 it\\'s a \\"quote\\", tab\\t, back\\\\slash, nul\\0, newline\\n`;
  return unit.repeat(Math.ceil(n / unit.length));
}

/** 60 INSERTs of 160-300 KB, one of 17 MiB, one small. */
function bigDump(): string {
  const parts = ['/*!40101 SET NAMES utf8mb4 */;', 'CREATE TABLE big (id INT NOT NULL PRIMARY KEY, body LONGTEXT, KEY by_len (id, body(10))) DEFAULT CHARSET=utf8mb4;'];
  let id = 0;
  for (let s = 0; s < 60; s++) {
    const rows = [];
    for (let r = 0; r < 8; r++) rows.push(`(${++id},'${body(id, 20_000 + 5_000 * (s % 7))}')`);
    parts.push(`INSERT INTO big VALUES ${rows.join(',')};`);
  }
  parts.push(`INSERT INTO big VALUES (${++id},'${body(id, 17 * 1024 * 1024)}');`);
  parts.push(`INSERT INTO big VALUES (${++id},'small');`);
  return parts.join('\n') + '\n';
}

let pair: DumpPair | undefined;

before(async () => {
  if (skip) return;
  pair = await dumpPair('t_big', bigDump());
});

after(async () => {
  await pair?.close();
});

test('hundreds of pooled statements and one of 17 MiB load exactly as the mysql client loads them', { skip }, async () => {
  const reusedBefore = statementPool.reused;
  const outstandingBefore = statementPool.outstanding;
  const r = await importDump({ address: pair!.viaDrydock.address, dump: pair!.dump, threads: 2 });
  assert.equal(r.tables.find((t) => t.name === 'big')?.rows, 482);
  // The ~31 MB dump is read in 4 MiB chunks from the pool; most INSERTs are views of them, and the
  // ones spanning two chunks (the 17 MiB one among them) are pooled copies: both are handed out again.
  assert.ok(statementPool.reused - reusedBefore >= 6, `read chunks and statement buffers were reused (${statementPool.reused - reusedBefore} times)`);
  assert.equal(statementPool.outstanding, outstandingBefore, 'every chunk and statement buffer went back to the pool');
  await compareDatabases(pair!.viaClient, pair!.viaDrydock);
  const [len] = (await pair!.viaDrydock.conn.query('SELECT MAX(LENGTH(body)) AS n FROM big')) as [Array<{ n: number }>, unknown];
  assert.ok(Number(len[0]?.n) > 16 * 1024 * 1024);
});
