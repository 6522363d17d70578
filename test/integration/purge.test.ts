/**
 * The project purge on a generated Patchwork 1.0 database with kernel.org's shape (lkml ~43% of the
 * patches, users whose primary project is lkml, maintainers of lkml and of other projects), run by
 * the real batched runner: lkml's rows are gone, every other row is byte-for-byte what it was,
 * people keep their profiles and their rights elsewhere, and no transaction exceeds the batch size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import { connectionOptions, qid as q } from '../../pipeline/db/connection.js';
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
import type { Invariant, Pack } from '../../transforms/core/pack.js';
import { nextBoundQuery } from '../../transforms/core/range.js';
import { patchworkPack } from '../../transforms/patchwork/pack.js';
import { skip, testDatabase } from '../helpers/db.js';
import { rows, type Row } from '../helpers/patchwork.js';
import { REFERENCE_DIR } from '../helpers/schema-compare.js';

const BATCH = 500;
const PATCHES = 3000;

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

  // The batch bounds walk the driving table by key with a per-row parent lookup; a semi-join from
  // the parent side would join and sort all of lkml's comments for every batch.
  const commentStep = g.actions.find((a) => a.op === 'delete' && a.table === 'patchwork_comment')!.step;
  const bound = nextBoundQuery(commentStep.driving, [0], BATCH);
  const explain = await rows(conn, `EXPLAIN ${bound.sql}`, bound.params);
  assert.equal(explain[0]?.['table'], 't', JSON.stringify(explain));
  assert.equal(explain[0]?.['key'], 'PRIMARY', JSON.stringify(explain));
  assert.ok(explain.slice(1).every((e) => e['select_type'] === 'DEPENDENT SUBQUERY'), JSON.stringify(explain));

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

test('the wiring for `migrate --drop-project lkml --to 2.1`: purge steps first (at 1.0), then the migrations, all in one plan', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drydock-purge-wired-'));
  const db = await testDatabase('t_purge_wired');
  try {
    await generated(dir, db.address);
    const wired: Pack = patchworkPack; // its plan() puts the purge first when options.dropProject is set
    const planOptions = { batchRows: 500, to: '2.1', dropProject: 'lkml' };
    const m = await runMigration({ address: db.address, pack: wired, planOptions, batchRows: 500, batchSeconds: 0, allowUnbatched: false });
    assert.equal(m.status, 'done', m.error?.message);
    assert.ok(m.steps.findIndex((x) => x.id.startsWith('purge:')) === 0);
    assert.ok(largest(m) <= 500, `largest transaction ${largest(m)}`);
    const after = await introspect(db.conn);
    const inv = wired.invariants({ ...context(db.conn, after), options: planOptions });
    assert.ok(inv.some((i) => i.id === 'purge.profiles-kept') && inv.some((i) => i.id === 'patchwork.patch-project-matches'));
    assert.deepEqual(await violations(db.conn, inv), []);
    assert.deepEqual(await rows(db.conn, "SELECT id FROM patchwork_project WHERE linkname = 'lkml'"), []);
    const patches = await rows(db.conn, 'SELECT COUNT(*) AS n FROM patchwork_patch');
    assert.ok(Number(patches[0]?.['n']) < PATCHES * 0.7, 'only the other projects\' patches were migrated');
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Inserts a row, filling NOT NULL columns without a default that `values` leaves out with a
 * distinct value of their type (unique keys must not collide). Returns the new id.
 */
let filler = 0;
async function insert(conn: Connection, schema: SchemaSnapshot, table: string, values: Record<string, unknown>): Promise<number> {
  const row: Record<string, unknown> = { ...values };
  for (const c of schema.tables.get(table)!.columns) {
    if (c.name in row || c.nullable || c.default !== null || c.extra.includes('auto_increment')) continue;
    filler++;
    if (/int/.test(c.type)) row[c.name] = /tinyint/.test(c.type) ? 0 : filler;
    else if (/datetime/.test(c.type)) row[c.name] = '2024-01-01 00:00:00';
    else if (/char\((\d+)\)/.test(c.type)) row[c.name] = `v${filler}`.slice(0, Number(/\((\d+)\)/.exec(c.type)![1]));
    else row[c.name] = `v${filler}`;
  }
  const cols = Object.keys(row);
  const [r] = await conn.query(`INSERT INTO ${q(table)} (${cols.map(q).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => row[c]));
  return Number((r as { insertId: number }).insertId);
}

test('3.x: series, relations, events and comments across two projects: the other project keeps its rows, its references into lkml cleared', { skip, timeout: 60_000 }, async () => {
  const db = await testDatabase('t_purge_3x');
  const { conn } = db;
  try {
    const c = await mysql.createConnection({ ...connectionOptions(db.address), multipleStatements: true });
    try {
      await c.query(readFileSync(`${REFERENCE_DIR}/patchwork-3.x-schema.sql`, 'utf8'));
    } finally {
      await c.end();
    }
    const schema = await introspect(conn);
    const ins = (t: string, v: Record<string, unknown>) => insert(conn, schema, t, v);
    const A = await ins('patchwork_project', { linkname: 'lkml', name: 'Linux Kernel', listid: 'lkml', listemail: 'l@k' });
    const B = await ins('patchwork_project', { linkname: 'netdev', name: 'Netdev', listid: 'netdev', listemail: 'n@k' });
    const u1 = await ins('auth_user', { username: 'u1' });
    const u2 = await ins('auth_user', { username: 'u2' });
    const person = await ins('patchwork_person', { email: 'p@x', user_id: u1 });
    const pr1 = await ins('patchwork_userprofile', { user_id: u1 });
    const pr2 = await ins('patchwork_userprofile', { user_id: u2 });
    for (const [up, pj] of [[pr1, A], [pr1, B], [pr2, B]]) await ins('patchwork_userprofile_maintainer_projects', { userprofile_id: up, project_id: pj });
    const state = await ins('patchwork_state', { name: 'New', slug: 'new' });
    const tag = await ins('patchwork_tag', { name: 'Acked-by' });
    const coverA = await ins('patchwork_cover', { project_id: A, submitter_id: person, msgid: 'ca' });
    const coverB = await ins('patchwork_cover', { project_id: B, submitter_id: person, msgid: 'cb' });
    const seriesA = await ins('patchwork_series', { project_id: A, cover_letter_id: coverA, submitter_id: person });
    // Inconsistent on purpose: another project's (or no project's) series pointing at lkml's cover.
    // (cover_letter is one-to-one at 3.x: one lkml cover each.)
    const coverA2 = await ins('patchwork_cover', { project_id: A, submitter_id: person, msgid: 'ca2' });
    const coverA3 = await ins('patchwork_cover', { project_id: A, submitter_id: person, msgid: 'ca3' });
    const seriesB = await ins('patchwork_series', { project_id: B, cover_letter_id: coverA2, submitter_id: person });
    const seriesNone = await ins('patchwork_series', { project_id: null, cover_letter_id: coverA3, submitter_id: person });
    const seriesX = await ins('patchwork_series', { project_id: B, submitter_id: person });
    const rel = await ins('patchwork_patchrelation', {});
    const pA1 = await ins('patchwork_patch', { project_id: A, submitter_id: person, state_id: state, msgid: 'a1', series_id: seriesA, related_id: rel });
    const pA2 = await ins('patchwork_patch', { project_id: A, submitter_id: person, state_id: state, msgid: 'a2' });
    const pB1 = await ins('patchwork_patch', { project_id: B, submitter_id: person, state_id: state, msgid: 'b1', series_id: seriesA, related_id: rel });
    const pB2 = await ins('patchwork_patch', { project_id: B, submitter_id: person, state_id: state, msgid: 'b2', series_id: seriesB });
    const pcA = await ins('patchwork_patchcomment', { patch_id: pA1, submitter_id: person, msgid: 'pca' });
    await ins('patchwork_patchcomment', { patch_id: pB1, submitter_id: person, msgid: 'pcb' });
    const ccA = await ins('patchwork_covercomment', { cover_id: coverA, submitter_id: person, msgid: 'cca' });
    await ins('patchwork_covercomment', { cover_id: coverB, submitter_id: person, msgid: 'ccb' });
    const chkA = await ins('patchwork_check', { patch_id: pA1, user_id: u1, context: 'ci' });
    await ins('patchwork_check', { patch_id: pB1, user_id: u1, context: 'ci' });
    for (const p of [pA1, pB1]) await ins('patchwork_patchtag', { patch_id: p, tag_id: tag, count: 1 });
    const bA = await ins('patchwork_bundle', { project_id: A, owner_id: u1, name: 'a' });
    const bB = await ins('patchwork_bundle', { project_id: B, owner_id: u2, name: 'b' });
    for (const [b, p] of [[bA, pA1], [bB, pA1], [bB, pB1]]) await ins('patchwork_bundlepatch', { bundle_id: b, patch_id: p, order: 1 });
    await ins('patchwork_event', { project_id: A, category: 'patch-created', date: '2024-01-01', patch_id: pA1 });
    const evB = await ins('patchwork_event', { project_id: B, category: 'patch-created', date: '2024-01-01', patch_id: pA2, series_id: seriesA, cover_id: coverA, cover_comment_id: ccA, patch_comment_id: pcA, created_check_id: chkA, current_relation_id: rel });
    await ins('patchwork_seriesreference', { project_id: A, series_id: seriesA, msgid: 'ra' });
    await ins('patchwork_seriesreference', { project_id: B, series_id: seriesX, msgid: 'rb' });
    await ins('patchwork_delegationrule', { project_id: A, user_id: u1, path: 'x', priority: 1 });
    await ins('patchwork_delegationrule', { project_id: B, user_id: u1, path: 'x', priority: 1 });
    await ins('patchwork_patchchangenotification', { patch_id: pA2, orig_state_id: state, last_modified: '2024-01-01' });
    await ins('patchwork_patchchangenotification', { patch_id: pB2, orig_state_id: state, last_modified: '2024-01-01' });

    const ctx = context(conn, schema);
    const counts = await purgeCounts(ctx, 'lkml');
    const steps = await purgeSteps(ctx, 'lkml');
    const r = await runMigration({ address: db.address, steps, planOptions: { batchRows: 1 }, batchRows: 1, batchSeconds: 0, allowUnbatched: false });
    assert.equal(r.status, 'done', r.error?.message);
    const byId = new Map(r.steps.map((x) => [x.id, x.rows]));
    const g = planPurge(schema, { id: A, linkname: 'lkml' });
    for (const [i, a] of g.actions.entries()) assert.equal(a.op === 'delete' ? counts[i]!.delete : counts[i]!.update, byId.get(a.step.id), a.step.id);
    assert.equal(largest(r), 1, 'one row per transaction at --batch-rows 1');

    const left = async (sql: string) => (await rows(conn, sql)).map((x) => Object.values(x).map((v) => (v === null ? null : Number(v))));
    assert.deepEqual(await left('SELECT id FROM patchwork_project'), [[B]]);
    assert.deepEqual(await left('SELECT id, series_id, related_id FROM patchwork_patch ORDER BY id'), [[pB1, null, rel], [pB2, seriesB, null]]);
    assert.deepEqual(await left('SELECT id, project_id, cover_letter_id FROM patchwork_series ORDER BY id'), [[seriesB, B, null], [seriesNone, null, null], [seriesX, B, null]]);
    assert.deepEqual(await left('SELECT id FROM patchwork_cover'), [[coverB]]);
    assert.deepEqual(await left('SELECT id FROM patchwork_patchrelation'), [[rel]], 'relations have no project: kept');
    assert.deepEqual(await left('SELECT id, patch_id, series_id, cover_id, cover_comment_id, patch_comment_id, created_check_id, current_relation_id FROM patchwork_event'), [[evB, null, null, null, null, null, null, rel]]);
    assert.deepEqual(await left('SELECT bundle_id, patch_id FROM patchwork_bundlepatch'), [[bB, pB1]]);
    assert.deepEqual(await left('SELECT project_id FROM patchwork_seriesreference'), [[B]]);
    assert.deepEqual(await left('SELECT project_id FROM patchwork_delegationrule'), [[B]]);
    assert.deepEqual(await left('SELECT patch_id FROM patchwork_patchchangenotification'), [[pB2]]);
    for (const t of ['patchwork_patchcomment', 'patchwork_covercomment', 'patchwork_check', 'patchwork_patchtag']) {
      assert.equal((await left(`SELECT 1 FROM ${t}`)).length, 1, `${t}: only netdev's row is left`);
    }
    assert.deepEqual(await left('SELECT userprofile_id, project_id FROM patchwork_userprofile_maintainer_projects ORDER BY id'), [[pr1, B], [pr2, B]]);
    assert.deepEqual(await left('SELECT id FROM patchwork_userprofile ORDER BY id'), [[pr1], [pr2]]);
    assert.deepEqual(await violations(conn, purgeInvariants(await introspect(conn))), []);
  } finally {
    await db.close();
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
