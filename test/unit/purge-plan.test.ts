import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SchemaSnapshot, TableInfo } from '../../pipeline/db/introspect.js';
import { ConfigError } from '../../pipeline/errors.js';
import { planPurge, purgeSteps, renderPurgeCounts, SNAPSHOT_TABLE } from '../../transforms/patchwork/purge.js';
import type { PurgeGraph } from '../../transforms/patchwork/purge.js';
import { purgeInvariants } from '../../transforms/patchwork/purge-invariants.js';
import type { BatchedStep } from '../../transforms/core/step.js';
import type { PlanContext } from '../../transforms/core/pack.js';

/** `col` NOT NULL, `col?` nullable; `fk: [col, refTable]` references refTable.id. */
function table(name: string, cols: string[], fks: Array<[string, string]> = [], pk = ['id']): TableInfo {
  return {
    name,
    columns: cols.map((c, i) => ({ name: c.replace('?', ''), type: 'int(11)', nullable: c.endsWith('?'), default: null, extra: '', position: i + 1 })),
    primaryKey: pk,
    indexes: [],
    foreignKeys: fks.map(([c, ref]) => ({ name: `${name}_${c}_fk`, columns: [c], refTable: ref, refColumns: ['id'], onDelete: 'RESTRICT', onUpdate: 'RESTRICT' })),
    rowEstimate: 0,
    createSql: '',
  };
}

function schema(...tables: TableInfo[]): SchemaSnapshot {
  return { database: 'pw', tables: new Map(tables.map((t) => [t.name, t])), views: [] };
}

/** Patchwork 1.0's tables and foreign keys (nullability as in the reference schema). */
function schema10(): SchemaSnapshot {
  return schema(
    table('auth_user', ['id']),
    table('patchwork_person', ['id', 'user_id?'], [['user_id', 'auth_user']]),
    table('patchwork_project', ['id']),
    table('patchwork_state', ['id']),
    table('patchwork_tag', ['id']),
    table('patchwork_userprofile', ['id', 'user_id', 'primary_project_id?'], [['user_id', 'auth_user'], ['primary_project_id', 'patchwork_project']]),
    table('patchwork_userprofile_maintainer_projects', ['id', 'userprofile_id', 'project_id'], [['userprofile_id', 'patchwork_userprofile'], ['project_id', 'patchwork_project']]),
    table('patchwork_patch', ['id', 'project_id', 'submitter_id', 'delegate_id?', 'state_id?'], [['project_id', 'patchwork_project'], ['submitter_id', 'patchwork_person'], ['delegate_id', 'auth_user'], ['state_id', 'patchwork_state']]),
    table('patchwork_comment', ['id', 'patch_id', 'submitter_id'], [['patch_id', 'patchwork_patch'], ['submitter_id', 'patchwork_person']]),
    table('patchwork_patchtag', ['id', 'patch_id', 'tag_id'], [['patch_id', 'patchwork_patch'], ['tag_id', 'patchwork_tag']]),
    table('patchwork_bundle', ['id', 'owner_id', 'project_id'], [['owner_id', 'auth_user'], ['project_id', 'patchwork_project']]),
    table('patchwork_bundlepatch', ['id', 'patch_id', 'bundle_id'], [['patch_id', 'patchwork_patch'], ['bundle_id', 'patchwork_bundle']]),
    table('patchwork_patchchangenotification', ['patch_id', 'orig_state_id'], [['patch_id', 'patchwork_patch'], ['orig_state_id', 'patchwork_state']], ['patch_id']),
    table('patchwork_emailconfirmation', ['id', 'user_id?'], [['user_id', 'auth_user']]),
  );
}

const lkml = { id: 5, linkname: 'lkml' };

function batched(g: PurgeGraph): BatchedStep[] {
  return g.steps.filter((s): s is BatchedStep => s.kind === 'batched' && s.target !== SNAPSHOT_TABLE);
}

function position(g: PurgeGraph, op: 'delete' | 'update', table: string): number {
  const i = g.actions.findIndex((a) => a.op === op && a.table === table);
  assert.ok(i >= 0, `no ${op} of ${table}`);
  return i;
}

test('1.0: deletes exactly the project-owned tables, never people or catalogues', () => {
  const g = planPurge(schema10(), lkml);
  assert.deepEqual(new Set(g.deleteOrder), new Set([
    'patchwork_comment', 'patchwork_patchtag', 'patchwork_bundlepatch', 'patchwork_patchchangenotification',
    'patchwork_patch', 'patchwork_bundle', 'patchwork_userprofile_maintainer_projects', 'patchwork_project',
  ]));
  for (const kept of ['auth_user', 'patchwork_person', 'patchwork_userprofile', 'patchwork_state', 'patchwork_tag', 'patchwork_emailconfirmation']) {
    assert.ok(!g.actions.some((a) => a.op === 'delete' && a.table === kept), `${kept} must not lose rows`);
  }
  assert.deepEqual(g.blockers, []);
});

test('1.0: children are deleted before their parents, the project last', () => {
  const g = planPurge(schema10(), lkml);
  for (const child of ['patchwork_comment', 'patchwork_patchtag', 'patchwork_bundlepatch', 'patchwork_patchchangenotification']) {
    assert.ok(position(g, 'delete', child) < position(g, 'delete', 'patchwork_patch'), `${child} before patch`);
  }
  assert.ok(position(g, 'delete', 'patchwork_bundlepatch') < position(g, 'delete', 'patchwork_bundle'));
  assert.equal(g.actions.at(-1)?.table, 'patchwork_project');
  assert.equal(g.actions.at(-1)?.step.driving.where, '`t`.`id` = 5');
});

test('the profile CASCADE case: primary_project is set NULL before the project goes, the profile is kept', () => {
  const g = planPurge(schema10(), lkml);
  const u = g.actions.find((a) => a.table === 'patchwork_userprofile');
  assert.ok(u);
  assert.equal(u.op, 'update');
  assert.deepEqual(u.columns, ['primary_project_id']);
  assert.equal(u.step.driving.where, '`t`.`primary_project_id` = 5');
  assert.match(u.step.sql, /^UPDATE `patchwork_userprofile` AS `t` SET `t`.`primary_project_id` = NULL WHERE \{range\}$/);
  assert.ok(position(g, 'update', 'patchwork_userprofile') < position(g, 'delete', 'patchwork_project'));
  // Maintainer links: only those to the purged project.
  const m = g.actions.find((a) => a.table === 'patchwork_userprofile_maintainer_projects');
  assert.equal(m?.op, 'delete');
  assert.equal(m?.step.driving.where, '`t`.`project_id` = 5');
});

test('every data step is batched, driven by the table it writes, with a where selecting the project rows', () => {
  const g = planPurge(schema10(), lkml);
  for (const s of batched(g)) {
    assert.equal(s.driving.table, s.target);
    assert.ok(s.driving.where && s.driving.where.length > 0);
    assert.equal(s.sql.split('{range}').length, 2);
  }
  const comment = g.actions.find((a) => a.table === 'patchwork_comment')!.step;
  assert.equal(comment.driving.where, '1 = (SELECT 1 FROM `patchwork_patch` AS `p1` WHERE `p1`.`id` = `t`.`patch_id` AND `p1`.`project_id` = 5 LIMIT 1)');
  assert.equal(comment.sql, 'DELETE `t` FROM `patchwork_comment` AS `t` WHERE {range}');
  // A bundle entry goes when its patch or its bundle belongs to the project (another project's bundle included).
  const bp = g.actions.find((a) => a.table === 'patchwork_bundlepatch')!.step;
  assert.match(bp.driving.where!, /^\(1 = \(SELECT 1 FROM `patchwork_patch`.* OR 1 = \(SELECT 1 FROM `patchwork_bundle`/);
  assert.deepEqual(g.actions.find((a) => a.table === 'patchwork_patchchangenotification')!.step.driving.key, ['patch_id']);
});

test('the snapshot is taken first: created, project recorded, profiles and other projects\' links copied', () => {
  const g = planPurge(schema10(), lkml);
  assert.deepEqual(g.steps.slice(0, 4).map((s) => s.id), ['purge:lkml:snapshot:create', 'purge:lkml:snapshot:project', 'purge:lkml:snapshot:profiles', 'purge:lkml:snapshot:maintainers']);
  const links = g.steps[3] as BatchedStep;
  assert.equal(links.driving.where, '`m`.`project_id` <> 5');
  assert.equal(new Set(g.steps.map((s) => s.id)).size, g.steps.length);
});

/** 2.1/3.x shapes: a nullable CASCADE series.project, nullable cross references. */
function schema3x(): SchemaSnapshot {
  return schema(
    table('auth_user', ['id']),
    table('patchwork_person', ['id', 'user_id?'], [['user_id', 'auth_user']]),
    table('patchwork_project', ['id']),
    table('patchwork_userprofile', ['id', 'user_id'], [['user_id', 'auth_user']]),
    table('patchwork_cover', ['id', 'project_id'], [['project_id', 'patchwork_project']]),
    table('patchwork_series', ['id', 'project_id?', 'cover_letter_id?'], [['project_id', 'patchwork_project'], ['cover_letter_id', 'patchwork_cover']]),
    table('patchwork_patchrelation', ['id']),
    table('patchwork_patch', ['id', 'project_id', 'series_id?', 'related_id?'], [['project_id', 'patchwork_project'], ['series_id', 'patchwork_series'], ['related_id', 'patchwork_patchrelation']]),
    table('patchwork_event', ['id', 'project_id', 'patch_id?', 'series_id?', 'cover_id?'], [['project_id', 'patchwork_project'], ['patch_id', 'patchwork_patch'], ['series_id', 'patchwork_series'], ['cover_id', 'patchwork_cover']]),
  );
}

test('3.x: a series with a nullable project is still the project\'s; other projects\' references are cleared, not deleted', () => {
  const g = planPurge(schema3x(), lkml);
  assert.ok(g.deleteOrder.includes('patchwork_series'));
  assert.ok(!g.deleteOrder.includes('patchwork_patchrelation'));
  const patchSeries = g.actions.find((a) => a.op === 'update' && a.table === 'patchwork_patch' && a.columns?.[0] === 'series_id');
  assert.ok(patchSeries, 'another project\'s patch in a deleted series gets series_id NULL');
  // Not for the project's own patches (they are deleted): the owned predicate is excluded, NULL-safe.
  assert.match(patchSeries.step.driving.where!, /AND \(`t`\.`project_id` = 5\) IS NOT TRUE$/);
  assert.ok(position(g, 'update', 'patchwork_patch') < position(g, 'delete', 'patchwork_series'));
  for (const c of ['patch_id', 'series_id', 'cover_id']) {
    assert.ok(g.actions.some((a) => a.op === 'update' && a.table === 'patchwork_event' && a.columns?.[0] === c), `event.${c}`);
  }
  assert.ok(position(g, 'delete', 'patchwork_event') < position(g, 'delete', 'patchwork_patch'));
  assert.ok(position(g, 'delete', 'patchwork_series') < position(g, 'delete', 'patchwork_cover'));
  const seriesCover = g.actions.find((a) => a.op === 'update' && a.table === 'patchwork_series')!;
  // series.project_id may be NULL: such a series is not the project's, and `IS NOT TRUE` keeps it in the update.
  assert.match(seriesCover.step.driving.where!, /IS NOT TRUE$/);
});

test('a NOT NULL reference from a kept table is a blocker, never a cascade', () => {
  const s = schema10();
  const profile = s.tables.get('patchwork_userprofile')!;
  profile.columns.find((c) => c.name === 'primary_project_id')!.nullable = false;
  const g = planPurge(s, lkml);
  assert.equal(g.blockers.length, 1);
  assert.equal(g.blockers[0]?.table, 'patchwork_userprofile');
  assert.ok(!g.actions.some((a) => a.table === 'patchwork_userprofile'));
});

test('purgeSteps refuses blocking rows and unknown projects with the linknames that exist', async () => {
  const s = schema10();
  s.tables.get('patchwork_userprofile')!.columns.find((c) => c.name === 'primary_project_id')!.nullable = false;
  const ctx = (answer: (sql: string, params?: unknown[]) => Array<Record<string, unknown>>): PlanContext => ({
    schema: s,
    applied: [],
    options: { batchRows: 1000 },
    query: async (sql, params) => answer(sql, params),
  });
  await assert.rejects(
    purgeSteps(ctx((sql, p) => (sql.includes('WHERE `linkname` = ?') && p?.[0] === 'lkml' ? [{ id: 5, linkname: 'lkml' }] : sql.startsWith('SELECT COUNT') ? [{ n: 3 }] : [])), 'lkml'),
    (e: unknown) => e instanceof ConfigError && /3 row\(s\) of patchwork_userprofile/.test(e.message),
  );
  await assert.rejects(
    purgeSteps(ctx((sql) => (sql.includes('ORDER BY linkname') ? [{ linkname: 'linux-arm' }, { linkname: 'netdev' }] : sql.startsWith('SELECT COUNT') ? [{ n: 74 }] : [])), 'nope'),
    (e: unknown) => e instanceof ConfigError && /no project/.test(e.message) && /linux-arm, netdev, … \(74 projects\)/.test(e.hint ?? ''),
  );
  // By name when no linkname matches.
  s.tables.get('patchwork_userprofile')!.columns.find((c) => c.name === 'primary_project_id')!.nullable = true;
  const steps = await purgeSteps(ctx((sql, p) => (sql.includes('WHERE `name` = ?') && p?.[0] === 'Linux Kernel' ? [{ id: 5, linkname: 'lkml' }] : [])), 'Linux Kernel');
  assert.ok(steps.some((x) => x.id === 'purge:lkml:delete:patchwork_project'));
});

test('a self-referencing key in a deleted table is refused', () => {
  const s = schema10();
  s.tables.get('patchwork_comment')!.foreignKeys.push({ name: 'c_parent', columns: ['parent_id'], refTable: 'patchwork_comment', refColumns: ['id'], onDelete: 'RESTRICT', onUpdate: 'RESTRICT' });
  assert.throws(() => planPurge(s, lkml), ConfigError);
});

test('invariants: profiles, other maintainers, project references, one orphan check per FK', () => {
  const s = schema10();
  const inv = purgeInvariants(s);
  const ids = inv.map((i) => i.id);
  assert.ok(ids.includes('purge.profiles-kept'));
  assert.ok(ids.includes('purge.other-maintainers-kept'));
  assert.ok(ids.includes('purge.no-reference.patchwork_userprofile.primary_project_id'));
  const fks = [...s.tables.values()].reduce((n, t) => n + t.foreignKeys.length, 0);
  assert.equal(ids.filter((i) => i.startsWith('purge.fk-orphan.')).length, fks);
  for (const i of inv) assert.match(i.sql, /LIMIT \d+$/);
});

test('renderPurgeCounts: totals, one line per table or cleared column, blockers called out', () => {
  const text = renderPurgeCounts('lkml', [
    { table: 'patchwork_comment', delete: 2698, update: 0 },
    { table: 'patchwork_userprofile', delete: 0, update: 4, column: 'primary_project_id' },
    { table: 'patchwork_project', delete: 1, update: 0 },
    { table: 'patchwork_person', delete: 0, update: 0, column: 'project_id', blocked: 2 },
  ]);
  assert.match(text, /^purge of project lkml: 2,699 rows deleted, 4 rows updated/);
  assert.match(text, /\npatchwork_comment +2,698\n/);
  assert.match(text, /\npatchwork_userprofile +primary_project_id +4 set NULL\n/);
  assert.match(text, /patchwork_person +project_id +BLOCKS: 2 rows/);
  assert.match(text, /2 row\(s\) block the purge/);
  assert.ok(text.endsWith('\n'));
});
