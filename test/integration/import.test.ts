/**
 * Round trip: a dump with every statement form mysqldump writes (extended INSERTs over several
 * statements, raw binary and UTF-8 text, foreign keys, keys in odd orders, views on views,
 * triggers and routines in DELIMITER blocks, an event) is loaded by the `mysql` client into one
 * database and by importDump into another; both must be the same, byte for byte.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { importDump, LEDGER_TABLE, type ImportEvent } from '../../pipeline/stages/import.js';
import { skip, testDatabase, type TestDatabase } from '../helpers/db.js';
import { compareDatabases, dumpDatabase, loadWithClient, SOURCE_SQL } from './import-fixture.js';

let dir = '';
let src: TestDatabase | undefined;
let viaClient: TestDatabase | undefined;
let viaDrydock: TestDatabase | undefined;
let dump = '';

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'drydock-import-'));
  src = await testDatabase('t_import_src');
  await loadWithClient(src.address, SOURCE_SQL);
  dump = join(dir, 'dump.sql');
  await dumpDatabase(src.address, dump);
  viaClient = await testDatabase('t_import_client');
  await loadWithClient(viaClient.address, { file: dump });
  viaDrydock = await testDatabase('t_import');
});

after(async () => {
  await src?.close();
  await viaClient?.close();
  await viaDrydock?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('importDump loads a dump exactly as the mysql client does', { skip }, async () => {
  const events: ImportEvent[] = [];
  const r = await importDump({ address: viaDrydock!.address, dump, threads: 3, onEvent: (e) => events.push(e) });
  await compareDatabases(viaClient!, viaDrydock!);
  const child = r.tables.find((t) => t.name === 'child');
  assert.equal(child?.rows, 600);
  assert.ok(events.some((e) => e.type === 'import-done'));
  assert.ok(events.some((e) => e.type === 'table-done' && e.table === 'child' && e.rows === 600));
  const [ledger] = (await viaDrydock!.conn.query(`SELECT table_name, done FROM ${LEDGER_TABLE} ORDER BY table_name`)) as [
    Array<{ table_name: string; done: number }>,
    unknown,
  ];
  assert.ok(ledger.length >= 5 && ledger.every((l) => l.done === 1), JSON.stringify(ledger));

  // Raw bytes: every byte value in a BLOB, and UTF-8 text, as the source holds them.
  const [bin] = (await viaDrydock!.conn.query('SELECT HEX(data) h, body FROM child WHERE id = 1')) as [Array<{ h: string; body: string }>, unknown];
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex').toUpperCase();
  assert.equal(bin[0]?.h, all);
  assert.equal(bin[0]?.body, 'Grüße, 😀 日本語 \'quoted\' "double" back\\slash');
});

test('a second run of the same dump is a no-op that skips every table', { skip }, async () => {
  const events: ImportEvent[] = [];
  const r = await importDump({ address: viaDrydock!.address, dump, threads: 2, onEvent: (e) => events.push(e) });
  assert.ok(r.tables.every((t) => t.skipped), JSON.stringify(r.tables));
  assert.equal(events.filter((e) => e.type === 'table-done').length, 0);
  await compareDatabases(viaClient!, viaDrydock!);
});

test('a gzip-compressed dump and one thread give the same result', { skip }, async () => {
  const { gzipSync } = await import('node:zlib');
  const { readFileSync } = await import('node:fs');
  const gz = join(dir, 'dump.sql.gz');
  writeFileSync(gz, gzipSync(readFileSync(dump)));
  await viaDrydock!.reset();
  const progress: ImportEvent[] = [];
  await importDump({ address: viaDrydock!.address, dump: gz, threads: 1, onEvent: (e) => progress.push(e) });
  await compareDatabases(viaClient!, viaDrydock!);
  const start = progress.find((e) => e.type === 'import-start');
  assert.ok(start && start.type === 'import-start' && start.bytesTotal !== undefined && start.bytesTotal < readFileSync(dump).length);
});

test('CREATE statements written by MySQL 8 are rewritten for MariaDB, and the rewrites are reported', { skip }, async () => {
  const mysql8 = join(dir, 'mysql8.sql');
  writeFileSync(
    mysql8,
    [
      '/*!40101 SET NAMES utf8mb4 */;',
      'CREATE TABLE `m8` (\n  `id` int NOT NULL,\n  `v` varchar(10) COLLATE utf8mb4_0900_ai_ci DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  KEY `v` (`v`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;',
      "INSERT INTO `m8` VALUES (1,'Grüße'),(2,'x');",
      '',
    ].join('\n'),
  );
  await viaDrydock!.reset();
  const r = await importDump({ address: viaDrydock!.address, dump: mysql8, threads: 2 });
  assert.ok(r.rewrites.some((x) => x.startsWith('m8: ') && /0900_ai_ci/.test(x)), JSON.stringify(r.rewrites));
  const [rows] = (await viaDrydock!.conn.query('SHOW CREATE TABLE m8')) as [Array<Record<string, string>>, unknown];
  assert.doesNotMatch(rows[0]?.['Create Table'] ?? '', /0900/);
  assert.match(rows[0]?.['Create Table'] ?? '', /KEY `v` \(`v`\)/);
  const [v] = (await viaDrydock!.conn.query('SELECT v FROM m8 WHERE id = 1')) as [Array<{ v: string }>, unknown];
  assert.equal(v[0]?.v, 'Grüße');
});
