/**
 * Reimport on the real server: an export of a "migrated" database goes into a "production" database
 * that differs from it (rows deleted, a table the result drops, a view, no table the result adds).
 * Refusals (unfinished or altered export, verification failures, triggers, a backup still in use)
 * must leave the live tables exactly as they were; the swap must make them equal the manifest, and
 * rollback must bring the old ones back exactly.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'mysql2/promise';
import { connect, qid } from '../../pipeline/db/connection.js';
import type { ServerAddress } from '../../pipeline/db/url.js';
import { StageError, VerificationError } from '../../pipeline/errors.js';
import { exportDump, summarizeTables, MANIFEST } from '../../pipeline/stages/export.js';
import type { Manifest, TableSummary } from '../../pipeline/stages/export.js';
import { importWithClient } from '../../pipeline/stages/import-client.js';
import { checksumsComparable, digestsComparable, cleanup, reimport, rollback, lockName } from '../../pipeline/stages/reimport.js';
import type { ReimportEvent } from '../../pipeline/stages/reimport.js';
import { skip, testDatabase, serverAddress } from '../helpers/db.js';
import type { TestDatabase } from '../helpers/db.js';

const example = fileURLToPath(new URL('../../examples/patchwork-1.0-small.sql', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'drydock-reimport-'));
const out = join(tmp, 'out');
const LIVE = 't_reimport_live';
const STAGING = `${LIVE}_drydock_new`;
const BACKUP = `${LIVE}_drydock_old`;

let src: TestDatabase | undefined;
let live: TestDatabase | undefined;
let admin: Connection | undefined;
let manifest: Manifest;
/** The "production" tables before any swap. */
let before0: TableSummary[];

const at = (database: string): ServerAddress => serverAddress(database);

async function tablesOf(db: string): Promise<string[]> {
  const [r] = await admin!.query(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`, [db]);
  return (r as Array<{ t: string }>).map((x) => x.t);
}

async function schemaExists(db: string): Promise<boolean> {
  const [r] = await admin!.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [db]);
  return (r as unknown[]).length > 0;
}

async function assertLiveUntouched(): Promise<void> {
  assert.deepEqual(await summarizeTables(at(LIVE)), before0, 'live tables unchanged');
  assert.deepEqual(await tablesOf(BACKUP).catch(() => []), [], 'nothing moved to the backup');
}

before(async () => {
  if (skip) return;
  admin = await connect(at(LIVE), null);
  for (const db of [STAGING, BACKUP]) await admin.query(`DROP DATABASE IF EXISTS ${qid(db)}`);

  // The "migrated" result: a column added, a table added, a view.
  src = await testDatabase('t_reimport_src');
  await importWithClient({ address: src.address, dump: example });
  await src.conn.query('ALTER TABLE patchwork_project ADD COLUMN list_archive_url VARCHAR(2000) NULL');
  await src.conn.query("UPDATE patchwork_project SET list_archive_url = CONCAT('https://lore.kernel.org/', linkname)");
  await src.conn.query('CREATE TABLE patchwork_series (id INT PRIMARY KEY, name VARCHAR(255) NOT NULL) ENGINE=InnoDB');
  await src.conn.query("INSERT INTO patchwork_series VALUES (1, 'one'), (2, 'two')");
  await src.conn.query('CREATE VIEW v_series AS SELECT id, name FROM patchwork_series');
  const [v] = await src.conn.query('SELECT VERSION() AS v');
  const version = String((v as Array<{ v: string }>)[0]?.v);
  manifest = await exportDump({ address: src.address, out, serverVersion: version, flavor: 'mariadb' });

  // "Production": the old schema, some rows gone, a table the result no longer has, a view.
  live = await testDatabase(LIVE);
  await importWithClient({ address: live.address, dump: example });
  await live.conn.query('DELETE FROM patchwork_patchtag ORDER BY id LIMIT 3');
  await live.conn.query('CREATE TABLE legacy_extra (id INT PRIMARY KEY, note TEXT) ENGINE=InnoDB');
  await live.conn.query("INSERT INTO legacy_extra VALUES (1, 'kept for rollback')");
  await live.conn.query(`CREATE VIEW v_projects AS SELECT id, linkname FROM patchwork_project`);
  before0 = await summarizeTables(live.address);
});

after(async () => {
  if (admin) for (const db of [STAGING, BACKUP, 't_reimport_src']) await admin.query(`DROP DATABASE IF EXISTS ${qid(db)}`);
  await admin?.end();
  await src?.close();
  await live?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('checksums are compared only between servers of the same flavor and version', () => {
  assert.equal(checksumsComparable({ flavor: 'mariadb', version: '10.11.19-MariaDB-0+deb12u1' }, '10.11.19-MariaDB-log').comparable, true);
  assert.equal(checksumsComparable({ flavor: 'mariadb', version: '10.11.19-MariaDB' }, '10.6.21-MariaDB').comparable, false);
  assert.equal(checksumsComparable({ flavor: 'mariadb', version: '10.11.19-MariaDB' }, '10.11.19').comparable, false, 'MySQL of the same number is another server');
  assert.ok(lockName('x'.repeat(80)).length <= 64);
  // Row digests only need the same flavor: the server prints the values it hashes.
  assert.equal(digestsComparable({ flavor: 'mariadb', version: '10.11.19-MariaDB' }, '11.4.2-MariaDB-log'), true);
  assert.equal(digestsComparable({ flavor: 'mariadb', version: '10.11.19-MariaDB' }, '8.0.36'), false);
});

test('an unfinished export (no manifest) and an altered file are refused before anything changes', { skip }, async () => {
  const unfinished = join(tmp, 'unfinished');
  mkdirSync(unfinished);
  copyFileSync(join(out, manifest.files[0]!.name), join(unfinished, manifest.files[0]!.name));
  await assert.rejects(reimport({ address: at(LIVE), from: unfinished }), (e: unknown) => e instanceof StageError && /no manifest\.json: the export did not finish/.test(e.message));

  const tampered = join(tmp, 'tampered');
  cpSync(out, tampered, { recursive: true });
  appendFileSync(join(tampered, manifest.files[0]!.name), '-- one more line\n');
  await assert.rejects(reimport({ address: at(LIVE), from: tampered }), (e: unknown) => e instanceof VerificationError && /bytes, the manifest says/.test(e.message));
  // Same size, other bytes: only the sha256 can tell.
  cpSync(out, tampered, { recursive: true });
  const f = join(tampered, manifest.files[0]!.name);
  const buf = readFileSync(f);
  const i = buf.indexOf('INSERT INTO `patchwork_person`') + 40;
  buf[i] = buf[i] === 0x61 ? 0x62 : 0x61;
  writeFileSync(f, buf);
  await assert.rejects(reimport({ address: at(LIVE), from: tampered }), (e: unknown) => e instanceof VerificationError && /sha256 [0-9a-f]{64}, the manifest says/.test(e.message));

  assert.equal(await schemaExists(STAGING), false, 'no staging database was even created');
  await assertLiveUntouched();
});

/** A reimport of `from` whose staged patchwork_person gets one name changed (suffixed with `mark`) before verification. */
function reimportChangingStaging(from: string, mark: string) {
  return reimport({
    address: at(LIVE),
    from,
    threads: 2,
    beforeVerify: async (staging) => {
      const c = await connect(staging);
      await c.query(`UPDATE patchwork_person SET name = CONCAT(name, '${mark}') ORDER BY id LIMIT 1`);
      await c.end();
    },
  });
}

test('a staging table changed after the load, or a manifest count that does not match, refuses the swap', { skip }, async () => {
  await assert.rejects(
    reimportChangingStaging(out, '!'),
    (e: unknown) => e instanceof VerificationError && /patchwork_person: row digest [0-9a-f]{8} in t_reimport_live_drydock_new, the manifest says [0-9a-f]{8}/.test(e.message),
  );
  await assertLiveUntouched();
  assert.ok((await tablesOf(STAGING)).includes('patchwork_person'), 'the staging load is kept for inspection');

  // An export from an older drydock has no digests: the same server version compares CHECKSUM TABLE.
  const old = join(tmp, 'no-digests');
  cpSync(out, old, { recursive: true });
  const om = JSON.parse(readFileSync(join(old, MANIFEST), 'utf8')) as Manifest;
  for (const x of om.tables) delete x.digest;
  writeFileSync(join(old, MANIFEST), JSON.stringify(om));
  await assert.rejects(
    reimportChangingStaging(old, '?'),
    (e: unknown) => e instanceof VerificationError && /patchwork_person: CHECKSUM TABLE \d+ in t_reimport_live_drydock_new, the manifest says \d+/.test(e.message),
  );
  await assertLiveUntouched();

  // From a clean staging database, a wrong count in the manifest is caught on its own.
  await cleanup({ address: at(LIVE) });
  const wrong = join(tmp, 'wrong-count');
  cpSync(out, wrong, { recursive: true });
  const m = JSON.parse(readFileSync(join(wrong, MANIFEST), 'utf8')) as Manifest;
  const t = m.tables.find((x) => x.name === 'patchwork_comment')!;
  const expected = t.rows;
  t.rows += 1;
  writeFileSync(join(wrong, MANIFEST), JSON.stringify(m));
  await assert.rejects(reimport({ address: at(LIVE), from: wrong }), (e: unknown) => {
    assert.ok(e instanceof VerificationError);
    assert.match(e.message, new RegExp(`patchwork_comment: ${expected} rows in ${STAGING}, the manifest says ${expected + 1}`));
    assert.match(e.hint ?? '', /live tables are untouched/);
    return true;
  });
  await assertLiveUntouched();
  await cleanup({ address: at(LIVE) });
});

test('swap, refusal of a second swap, rollback, swap again without loading, cleanup', { skip }, async () => {
  // A trigger cannot follow its table into another database: refused before loading anything.
  await admin!.query(`CREATE TRIGGER ${qid(LIVE)}.legacy_touch BEFORE UPDATE ON ${qid(LIVE)}.legacy_extra FOR EACH ROW SET NEW.note = NEW.note`);
  await assert.rejects(reimport({ address: at(LIVE), from: out }), (e: unknown) => e instanceof StageError && /triggers.*legacy_touch \(on legacy_extra\)/.test(e.message));
  assert.equal(await schemaExists(STAGING), false);
  await admin!.query(`DROP TRIGGER ${qid(LIVE)}.legacy_touch`);

  // Load and verify only: what the runbook does before asking the operator.
  const staged = await reimport({ address: at(LIVE), from: out, threads: 2, swap: false });
  assert.equal(staged.swapped, false);
  await assertLiveUntouched();
  assert.ok((await tablesOf(STAGING)).includes('patchwork_series'));
  // mysqldump writes view bodies without the database name: the staged view reads staged tables.
  const [sv] = await admin!.query(`SHOW CREATE VIEW ${qid(STAGING)}.v_series`);
  const body = String((sv as Array<Record<string, unknown>>)[0]?.['Create View']);
  assert.ok(body.includes(`\`${STAGING}\`.\`patchwork_series\``) && !body.includes('t_reimport_src'), body);

  const events: ReimportEvent[] = [];
  const r = await reimport({ address: at(LIVE), from: out, threads: 2, onEvent: (e) => events.push(e) });
  assert.equal(r.compared, 'rows+digest');
  assert.ok(manifest.tables.filter((t) => t.name.startsWith('patchwork_')).every((t) => /^[0-9a-f]{8}$/.test(t.digest ?? '')), 'every table with a primary key has a digest');
  assert.equal(r.swapped, true);
  assert.equal(events.filter((e) => e.type === 'table-done').length, 0, 'the staged load was resumed, not repeated');
  assert.equal(r.loader, 'native', 'the test server writes no binlog');
  assert.deepEqual(await summarizeTables(at(LIVE), undefined, { digest: true }), manifest.tables, 'live tables are exactly the export');
  assert.deepEqual(await summarizeTables(at(BACKUP)), before0, 'the backup holds the old tables exactly');
  assert.ok(r.movedToBackup.includes('legacy_extra') && !r.movedToLive.includes('legacy_extra'));
  assert.ok(r.movedToLive.includes('patchwork_series'));
  assert.deepEqual(await tablesOf(STAGING), [], 'staging is empty; the import ledger went to the backup with the old tables');
  assert.ok((await tablesOf(BACKUP)).includes('_drydock_import'));
  const kinds = events.map((e) => e.type);
  for (const k of ['manifest-checked', 'lock-acquired', 'load-start', 'import-done', 'verified', 'swap-start', 'swapped'] as const) assert.ok(kinds.includes(k), `event ${k}`);
  assert.ok(kinds.indexOf('verified') < kinds.indexOf('swap-start'));

  // The live view names `t_reimport_live`.`patchwork_project`: it now reads the new table.
  const [vr] = await live!.conn.query('SELECT COUNT(*) AS n FROM v_projects');
  assert.equal(Number((vr as Array<{ n: number }>)[0]?.n), manifest.tables.find((t) => t.name === 'patchwork_project')!.rows);
  // The export's view stayed in staging (views cannot change database): reported, not created.
  assert.ok(r.warnings.some((w) => /v_series/.test(w)), r.warnings.join('\n'));
  // Foreign keys moved with their tables: live children reference live parents.
  const [fk] = await admin!.query(`SELECT DISTINCT UNIQUE_CONSTRAINT_SCHEMA AS s FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`, [LIVE]);
  assert.deepEqual((fk as Array<{ s: string }>).map((x) => x.s), [LIVE]);

  // The backup is the rollback point: a second swap must not overwrite it.
  await assert.rejects(reimport({ address: at(LIVE), from: out }), (e: unknown) => e instanceof StageError && /still holds \d+ tables from an earlier swap/.test(e.message) && /--force/.test(e.hint ?? ''));

  const rb = await rollback({ address: at(LIVE) });
  assert.ok(rb.restored.includes('legacy_extra'));
  assert.deepEqual(await summarizeTables(at(LIVE)), before0, 'rollback restores the old tables exactly');
  assert.deepEqual(await tablesOf(BACKUP), []);
  await assert.rejects(rollback({ address: at(LIVE) }), (e: unknown) => e instanceof StageError && /holds no tables/.test(e.message));

  // The rolled-back result waits in staging with its ledger: swapping it in again loads nothing.
  const again: ReimportEvent[] = [];
  await reimport({ address: at(LIVE), from: out, threads: 2, onEvent: (e) => again.push(e) });
  assert.equal(again.filter((e) => e.type === 'table-done').length, 0, 'no table loaded again');
  assert.ok(again.filter((e) => e.type === 'table-skipped').length >= manifest.tables.length);
  assert.deepEqual(await summarizeTables(at(LIVE), undefined, { digest: true }), manifest.tables);

  const c = await cleanup({ address: at(LIVE) });
  assert.ok(c.dropped.some((d) => d.database === BACKUP && d.tables.includes('legacy_extra')));
  assert.equal(await schemaExists(BACKUP), false);
  assert.equal(await schemaExists(STAGING), false);
  assert.deepEqual(await summarizeTables(at(LIVE), undefined, { digest: true }), manifest.tables, 'cleanup never touches live tables');

  // The mysql client loader (chosen automatically when the native one would turn the binlog off).
  const viaClient = await reimport({ address: at(LIVE), from: out, loader: 'client' });
  assert.equal(viaClient.loader, 'client');
  assert.deepEqual(await summarizeTables(at(LIVE), undefined, { digest: true }), manifest.tables);
  assert.deepEqual(await summarizeTables(at(BACKUP), undefined, { digest: true }), manifest.tables);
  await cleanup({ address: at(LIVE) });
});

test('two operations on the same database cannot race: the named lock is held', { skip }, async () => {
  const other = await connect(at(LIVE), null);
  try {
    await other.query('SELECT GET_LOCK(?, 0)', [lockName(LIVE)]);
    await assert.rejects(rollback({ address: at(LIVE) }), (e: unknown) => e instanceof StageError && /another drydock reimport, rollback or cleanup/.test(e.message));
  } finally {
    await other.end();
  }
});
