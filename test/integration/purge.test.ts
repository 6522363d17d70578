/**
 * The project purge on a generated Patchwork 1.0 database with kernel.org's shape (lkml ~43% of the
 * patches, users whose primary project is lkml, maintainers of lkml and of other projects), run by
 * the real batched runner: lkml's rows are gone, every other row is byte-for-byte what it was,
 * people keep their profiles and their rights elsewhere, and no transaction exceeds the batch size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { introspect } from '../../pipeline/db/introspect.js';
import type { SchemaSnapshot } from '../../pipeline/db/introspect.js';
import { importWithClient } from '../../pipeline/stages/import-client.js';
import { planMigration, runMigration } from '../../pipeline/stages/migrate.js';
import type { MigrateResult } from '../../pipeline/stages/migrate.js';
import type { PlanContext } from '../../transforms/core/pack.js';
import { generatePatchworkToFile } from '../../transforms/patchwork/generate.js';
import { planPurge, purgeCounts, purgeSteps, renderPurgeCounts, resolveProject } from '../../transforms/patchwork/purge.js';
import type { PurgeGraph } from '../../transforms/patchwork/purge.js';
import { fkOrphanInvariants, purgeInvariants } from '../../transforms/patchwork/purge-invariants.js';
import type { Invariant } from '../../transforms/core/pack.js';
import { patchworkPack } from '../../transforms/patchwork/pack.js';
import { skip, testDatabase } from '../helpers/db.js';

type Row = Record<string, unknown>;
const BATCH = 500;
const PATCHES = 3000;

async function rows(conn: Connection, sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await conn.query(sql, params))[0] as Row[];
}

function q(n: string): string {
  return '`' + n.replace(/`/g, '``') + '`';
}

function context(conn: Connection, schema: SchemaSnapshot): PlanContext {
  return { schema, applied: [], options: { batchRows: BATCH, dropProject: 'lkml' }, query: (sql, params) => rows(conn, sql, params ?? []) };
}

/** Order-independent checksum of the rows `where` selects (alias `t`): count and XOR of per-row MD5s. */
async function checksum(conn: Connection, schema: SchemaSnapshot, table: string, where: string): Promise<string> {
  const cols = schema.tables.get(table)!.columns.map((c) => `IFNULL(HEX(t.${q(c.name)}), '-')`);
  const r = await rows(conn, `SELECT COUNT(*) AS n, BIT_XOR(CAST(CONV(LEFT(MD5(CONCAT_WS('|', ${cols.join(', ')})), 16), 16, 10) AS UNSIGNED)) AS x,
    BIT_XOR(CAST(CONV(RIGHT(MD5(CONCAT_WS('|', ${cols.join(', ')})), 16), 16, 10) AS UNSIGNED)) AS y FROM ${q(table)} AS t WHERE ${where}`);
  return `${String(r[0]?.['n'])}:${String(r[0]?.['x'])}:${String(r[0]?.['y'])}`;
}

async function violations(conn: Connection, inv: Invariant[]): Promise<string[]> {
  const out: string[] = [];
  for (const i of inv) {
    const r = await rows(conn, i.sql);
    if (r.length) out.push(`${i.id}: ${JSON.stringify(r[0])}`);
  }
  return out;
}

function largest(r: MigrateResult): number {
  return Math.max(...r.steps.map((s) => s.largestTransaction));
}

/** Column names that differ by version: the patch table's key and its project column. */
interface Shape {
  patchKey: string;
  patchProject: string;
}
const SHAPE_1_0: Shape = { patchKey: 'id', patchProject: 'project_id' };
const SHAPE_2_1: Shape = { patchKey: 'submission_ptr_id', patchProject: 'patch_project_id' };

/**
 * Purges lkml from the loaded database with the real runner and checks everything the purge
 * promises; returns the per-step summary for the log.
 */
async function purgeAndCheck(conn: Connection, address: Parameters<typeof runMigration>[0]['address'], shape: Shape): Promise<string> {
  let schema = await introspect(conn);
  const project = await resolveProject(context(conn, schema), 'lkml');
  const { patchKey, patchProject } = shape;
  // Cross-project links the generator may not make: another project's bundle holding an lkml
  // patch (its entry must go, the bundle stay), and a pending notification of an lkml patch.
  await conn.query(`INSERT INTO patchwork_bundle (name, public, owner_id, project_id)
    SELECT 'cross', 1, MIN(u.id), (SELECT MIN(id) FROM patchwork_project WHERE id <> ?) FROM auth_user u`, [project.id]);
  await conn.query(`INSERT INTO patchwork_bundlepatch (\`order\`, bundle_id, patch_id)
    SELECT 1, (SELECT MAX(id) FROM patchwork_bundle), MIN(${patchKey}) FROM patchwork_patch WHERE ${patchProject} = ?`, [project.id]);
  await conn.query(`INSERT INTO patchwork_bundlepatch (\`order\`, bundle_id, patch_id)
    SELECT 2, (SELECT MAX(id) FROM patchwork_bundle), MIN(${patchKey}) FROM patchwork_patch WHERE ${patchProject} <> ?`, [project.id]);
  await conn.query(`INSERT INTO patchwork_patchchangenotification (patch_id, last_modified, orig_state_id)
    SELECT MIN(${patchKey}), NOW(6), (SELECT MIN(id) FROM patchwork_state) FROM patchwork_patch
     WHERE ${patchProject} = ? AND ${patchKey} NOT IN (SELECT patch_id FROM patchwork_patchchangenotification)`, [project.id]);
  schema = await introspect(conn);
  const ctx = context(conn, schema);
  const g: PurgeGraph = planPurge(schema, project);
  const tables = [...schema.tables.keys()].filter((t) => !t.startsWith('_drydock'));

  // Before: what will go, what will be cleared, and checksums of everything else.
  const owned = new Map<string, number>();
  for (const [t, where] of g.owned) owned.set(t, Number((await rows(conn, `SELECT COUNT(*) AS n FROM ${q(t)} AS t WHERE ${where}`))[0]?.['n']));
  const updatedKeys = new Map<string, string[]>();
  for (const a of g.actions.filter((x) => x.op === 'update')) {
    const key = schema.tables.get(a.table)!.primaryKey[0]!;
    const ks = (await rows(conn, `SELECT t.${q(key)} AS k FROM ${q(a.table)} AS t WHERE ${a.step.driving.where}`)).map((r) => String(r['k']));
    updatedKeys.set(a.table, [...(updatedKeys.get(a.table) ?? []), ...ks]);
  }
  const untouched = (t: string, before: boolean): string => {
    const parts: string[] = ['1=1'];
    if (before && g.owned.has(t)) parts.push(`(${g.owned.get(t)!}) IS NOT TRUE`);
    const ks = updatedKeys.get(t);
    if (ks?.length) parts.push(`t.${q(schema.tables.get(t)!.primaryKey[0]!)} NOT IN (${ks.map(Number).join(', ')})`);
    return parts.join(' AND ');
  };
  const sums = new Map<string, string>();
  const totals = new Map<string, number>();
  for (const t of tables) {
    sums.set(t, await checksum(conn, schema, t, untouched(t, true)));
    totals.set(t, Number((await rows(conn, `SELECT COUNT(*) AS n FROM ${q(t)}`))[0]?.['n']));
  }
  const hasPrimary = schema.tables.get('patchwork_userprofile')!.columns.some((c) => c.name === 'primary_project_id');
  const lkmlUsers = hasPrimary
    ? (await rows(conn, 'SELECT user_id FROM patchwork_userprofile WHERE primary_project_id = ? ORDER BY user_id', [project.id])).map((r) => Number(r['user_id']))
    : [];
  const otherLinks = await rows(conn, 'SELECT userprofile_id, project_id FROM patchwork_userprofile_maintainer_projects WHERE project_id <> ? ORDER BY id', [project.id]);
  const lkmlMaintainersElsewhere = await rows(conn,
    `SELECT COUNT(DISTINCT a.userprofile_id) AS n FROM patchwork_userprofile_maintainer_projects a
       JOIN patchwork_userprofile_maintainer_projects b ON b.userprofile_id = a.userprofile_id AND b.project_id <> a.project_id WHERE a.project_id = ?`, [project.id]);
  // The generator's production shape, or this test proves little.
  assert.ok(owned.get('patchwork_patch')! > PATCHES * 0.3, `lkml holds ${owned.get('patchwork_patch')} patches`);
  if (hasPrimary) assert.ok(lkmlUsers.length > 0, 'some users have lkml as primary project');
  assert.ok(Number(lkmlMaintainersElsewhere[0]?.['n']) > 0, 'some lkml maintainers maintain other projects too');
  assert.deepEqual(await violations(conn, fkOrphanInvariants(schema)), [], 'no orphans before');

  const counts = await purgeCounts(ctx, 'lkml');
  const rendered = renderPurgeCounts('lkml', counts);
  assert.match(rendered, /^purge of project lkml: [\d,]+ rows deleted/);
  const steps = await purgeSteps(ctx, 'lkml');
  const opts = { address, steps, planOptions: { batchRows: BATCH }, batchRows: BATCH, batchSeconds: 0, allowUnbatched: false };
  const plan = await planMigration(opts);
  assert.ok(plan.steps.every((s) => s.estimate.largestTransaction === undefined || s.estimate.largestTransaction <= BATCH));

  const r = await runMigration(opts);
  assert.equal(r.status, 'done', r.error?.message);

  // Plan counts equal what the steps did, step by step.
  const done = new Map(r.steps.map((s) => [s.id, s]));
  for (const [i, a] of g.actions.entries()) {
    const c = counts[i]!;
    assert.equal(c.table, a.table);
    assert.equal(a.op === 'delete' ? c.delete : c.update, done.get(a.step.id)?.rows, `${a.step.id}`);
  }
  // Deleted = the rows owned before, per table; the rest unchanged (checksums), updates exactly the counted rows.
  const after = await introspect(conn);
  for (const t of tables) {
    const n = Number((await rows(conn, `SELECT COUNT(*) AS n FROM ${q(t)}`))[0]?.['n']);
    assert.equal(n, totals.get(t)! - (owned.get(t) ?? 0), `${t}: rows left`);
    assert.equal(await checksum(conn, after, t, untouched(t, false)), sums.get(t), `${t}: rows not belonging to lkml are unchanged`);
  }
  assert.deepEqual(await rows(conn, 'SELECT id FROM patchwork_project WHERE linkname = ?', ['lkml']), []);
  if (hasPrimary) {
    // Everyone whose primary project was lkml keeps a profile, now without a primary project.
    const kept = await rows(conn, `SELECT user_id, primary_project_id FROM patchwork_userprofile WHERE user_id IN (${lkmlUsers.join(', ')}) ORDER BY user_id`);
    assert.deepEqual(kept.map((k) => Number(k['user_id'])), lkmlUsers);
    assert.ok(kept.every((k) => k['primary_project_id'] === null));
  }
  assert.deepEqual(await rows(conn, 'SELECT userprofile_id, project_id FROM patchwork_userprofile_maintainer_projects ORDER BY id'), otherLinks);
  assert.deepEqual(await violations(conn, purgeInvariants(after)), []);
  const cross = await rows(conn, "SELECT COUNT(*) AS n FROM patchwork_bundlepatch bp JOIN patchwork_bundle b ON b.id = bp.bundle_id WHERE b.name = 'cross'");
  assert.equal(Number(cross[0]?.['n']), 1, "the other project's bundle keeps its own patch and loses only the lkml entry");
  assert.ok(largest(r) <= BATCH, `largest transaction ${largest(r)}`);

  const summary = g.actions.map((a, i) => `${a.op} ${a.table}${a.columns ? `.${a.columns.join(',')}` : ''}: ${a.op === 'delete' ? counts[i]!.delete : counts[i]!.update}`);
  return `largest transaction ${largest(r)} rows, ${r.steps.reduce((n, s) => n + s.batches, 0)} transactions:\n  ${summary.join('\n  ')}`;
}

async function generated(dir: string, address: Parameters<typeof importWithClient>[0]['address']): Promise<void> {
  const dump = join(dir, 'pw.sql');
  await generatePatchworkToFile({ patches: PATCHES, version: '1.0', seed: 7 }, dump);
  await importWithClient({ address, dump });
}

test('purging lkml from a 1.0 database: only lkml goes, people and other projects are intact, batches stay small', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drydock-purge-'));
  const db = await testDatabase('t_purge');
  try {
    await generated(dir, db.address);
    console.log(`purge of lkml at 1.0 (${PATCHES} patches), ${await purgeAndCheck(db.conn, db.address, SHAPE_1_0)}`);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('purging lkml after the pack migrated the same database to 2.1', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drydock-purge21-'));
  const db = await testDatabase('t_purge_21');
  try {
    await generated(dir, db.address);
    const m = await runMigration({ address: db.address, pack: patchworkPack, planOptions: { batchRows: 1000, to: '2.1' }, batchRows: 1000, batchSeconds: 0, allowUnbatched: false });
    assert.equal(m.status, 'done', m.error?.message);
    // A second runMigration with other inputs is refused while the pack's plan is stored.
    await db.conn.query('DROP TABLE _drydock_plan, _drydock_checkpoint');
    console.log(`purge of lkml at 2.1 (${PATCHES} patches), ${await purgeAndCheck(db.conn, db.address, SHAPE_2_1)}`);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--drop-project with an unknown name lists existing linknames', { skip }, async () => {
  const db = await testDatabase('t_purge_unknown');
  try {
    await db.conn.query('CREATE TABLE patchwork_project (id INT PRIMARY KEY, linkname VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL)');
    await db.conn.query("INSERT INTO patchwork_project VALUES (1, 'netdev', 'Netdev'), (2, 'lkml', 'Linux Kernel')");
    const ctx = context(db.conn, await introspect(db.conn));
    await assert.rejects(purgeSteps(ctx, 'nope'), (e: Error & { hint?: string }) => /no project/.test(e.message) && /lkml, netdev/.test(e.hint ?? ''));
    assert.deepEqual(await resolveProject(ctx, 'Linux Kernel'), { id: 2, linkname: 'lkml' });
  } finally {
    await db.close();
  }
});
