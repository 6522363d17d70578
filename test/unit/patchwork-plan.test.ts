/**
 * The Patchwork plan without a server: from the reference 1.0 schema (parsed into a snapshot),
 * the steps' shape, Django's bookkeeping, the names carried through the schema state, and refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { SchemaSnapshot, TableInfo } from '../../pipeline/db/introspect.js';
import { ConfigError } from '../../pipeline/errors.js';
import type { AppliedMigration, PlanContext, PlanOptions } from '../../transforms/core/pack.js';
import { RANGE_PLACEHOLDER, type Step } from '../../transforms/core/step.js';
import { parseDumpTables, versionOf } from '../../transforms/patchwork/detect.js';
import { patchworkPack } from '../../transforms/patchwork/pack.js';
import { migrations } from '../../transforms/patchwork/migrations/index.js';
import { SchemaState } from '../../transforms/patchwork/schema-state.js';

const SCHEMA_1_0 = new URL('../../transforms/patchwork/schema/patchwork-1.0.sql', import.meta.url);
const MIGRATIONS_1_0 = new URL('../../transforms/patchwork/schema/patchwork-1.0-django_migrations.sql', import.meta.url);

/** Enough of SHOW CREATE TABLE's grammar for a snapshot: columns, keys, foreign keys. */
function snapshotOf(sql: string): SchemaSnapshot {
  const tables = new Map<string, TableInfo>();
  const names = (s: string) => [...s.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
  for (const [name, create] of parseDumpTables(sql)) {
    const t: TableInfo = { name, columns: [], primaryKey: [], indexes: [], foreignKeys: [], rowEstimate: 0, createSql: create };
    for (const line of create.split('\n').slice(1, -1).map((l) => l.trim().replace(/,$/, ''))) {
      let m;
      if ((m = /^PRIMARY KEY \((.*)\)$/.exec(line))) t.primaryKey = names(m[1] ?? '');
      else if ((m = /^(UNIQUE )?KEY `([^`]+)` \((.*)\)$/.exec(line))) t.indexes.push({ name: m[2] ?? '', unique: !!m[1], columns: names(m[3] ?? '') });
      else if ((m = /^CONSTRAINT `([^`]+)` FOREIGN KEY \((.*?)\) REFERENCES `([^`]+)` \((.*?)\)/.exec(line)))
        t.foreignKeys.push({ name: m[1] ?? '', columns: names(m[2] ?? ''), refTable: m[3] ?? '', refColumns: names(m[4] ?? ''), onDelete: 'RESTRICT', onUpdate: 'RESTRICT' });
      else if ((m = /^`([^`]+)` (\S+)/.exec(line)))
        t.columns.push({ name: m[1] ?? '', type: m[2] ?? '', nullable: !/NOT NULL/.test(line), default: null, extra: '', position: t.columns.length + 1 });
    }
    tables.set(name, t);
  }
  return { database: 'test', tables, views: [] };
}

const schema = snapshotOf(readFileSync(SCHEMA_1_0, 'utf8'));
const applied10: AppliedMigration[] = [...readFileSync(MIGRATIONS_1_0, 'utf8').matchAll(/\(\d+,'([^']+)','([^']+)'/g)].map((m) => ({ app: m[1] ?? '', name: m[2] ?? '' }));
const STATES = [
  { id: 1, name: 'New' },
  { id: 3, name: 'Accepted' },
];

function ctx(options: Partial<PlanOptions> = {}, nullStates = 0, applied = applied10): PlanContext {
  return {
    schema,
    applied,
    options: { batchRows: 1000, ...options },
    async query(sql) {
      if (/COUNT\(\*\)/.test(sql)) return [{ n: nullStates }];
      if (/FROM patchwork_state/.test(sql)) return STATES;
      throw new Error(`unexpected query ${sql}`);
    },
  };
}

const plan = (options: Partial<PlanOptions> = {}, nullStates = 0, applied = applied10): Promise<Step[]> => patchworkPack.plan(ctx(options, nullStates, applied));

test('a 1.0 database is recognised and detected as 1.0', async () => {
  assert.ok(patchworkPack.recognises(ctx()));
  assert.equal(versionOf(applied10), '1.0');
  assert.equal((await patchworkPack.detect(ctx())).version, '1.0');
  assert.deepEqual((await patchworkPack.detect(ctx())).drift, []);
});

test('1.0 → 2.1: each migration 0003..0026 in order, each closed by its django_migrations row', async () => {
  const steps = await plan({ to: '2.1' });
  assert.equal(new Set(steps.map((s) => s.id)).size, steps.length, 'step ids are unique');
  const records = steps.filter((s) => s.id.endsWith('-record'));
  assert.deepEqual(
    records.map((s) => s.migration),
    migrations.slice(0, migrations.findIndex((m) => m.name === '0026_add_user_bundles_backref') + 1).map((m) => `patchwork.${m.name}`),
  );
  for (const r of records) {
    assert.equal(r.kind, 'sql');
    if (r.kind === 'sql') assert.match(r.statements[0] ?? '', /INSERT INTO django_migrations \(app, name, applied\) SELECT 'patchwork', '\d{4}_\w+', NOW\(6\) FROM DUAL WHERE NOT EXISTS/);
  }
  // A migration's steps are contiguous and end with its record.
  for (const [i, s] of steps.entries()) if (s.id.endsWith('-record')) assert.notEqual(steps[i + 1]?.migration, s.migration);
});

test('data moves are batched steps; DDL steps are single statements with an appliedWhen probe', async () => {
  const steps = await plan({ to: '2.1' });
  for (const s of steps) {
    if (s.kind === 'batched') {
      assert.equal(s.sql.split(RANGE_PLACEHOLDER).length, 2, `${s.id} has {range} once`);
      // (the builder itself checks the key is the driving table's primary key at that point)
      assert.ok(s.driving.key.length > 0);
    } else if (s.kind === 'ddl') {
      assert.equal(s.statements.length, 1, s.id);
      assert.ok(s.appliedWhen, s.id);
      assert.doesNotMatch(s.statements[0] ?? '', /^\s*(INSERT|UPDATE|DELETE)\b/i, s.id);
    } else {
      assert.equal(s.unbatched, undefined);
      assert.ok(s.id.endsWith('-record'), `${s.id}: the only plain SQL is the bookkeeping`);
    }
  }
  const batched = steps.filter((s) => s.kind === 'batched').map((s) => s.id.replace(/^patchwork\.(\d{4}).*?-(.*)$/, '$1 $2'));
  assert.deepEqual(batched, ['0007 copy-body', '0007 delete-body-comments', '0010 copy-patches', '0013 fill-context', '0016 project-from-cover', '0016 project-from-patch', '0024 fill-patch-project']);
});

test('constraint names are carried through the plan, not assumed', async () => {
  const sql = (await plan({ to: '2.1' })).flatMap((s) => (s.kind === 'ddl' ? s.statements : []));
  const has = (re: RegExp) => assert.ok(sql.some((s) => re.test(s)), String(re));
  // 0009 re-points check's FK to submission; 0011 finds it under that name and re-points it to patch.
  has(/ALTER TABLE `patchwork_check` ADD CONSTRAINT `patchwork_check_patch_id_e517f972_fk_patchwork_submission_id`/);
  has(/ALTER TABLE `patchwork_check` DROP FOREIGN KEY `patchwork_check_patch_id_e517f972_fk_patchwork_submission_id`/);
  has(/ALTER TABLE `patchwork_check` ADD CONSTRAINT `patchwork_check_patch_id_e517f972_fk_patchwork` FOREIGN KEY \(`patch_id`\) REFERENCES `patchwork_patch` \(`submission_ptr_id`\)/);
  // Submission keeps 1.0's constraint names after the rename, and 0011 drops them by those names.
  has(/ALTER TABLE `patchwork_submission` DROP FOREIGN KEY `patchwork_patch_delegate_id_8f7ce805_fk_auth_user_id`/);
  has(/ALTER TABLE `patchwork_userprofile` DROP FOREIGN KEY `patchwork_userprofil_primary_project_id_3bfc4e42_fk_patchwork`/);
  has(/ALTER TABLE `patchwork_seriesreference` DROP INDEX `msgid`/);
  has(/ALTER TABLE `patchwork_project` DROP INDEX `listid`/);
});

test('schema state mirrors MariaDB: a re-added FK renames its generated index, a covering index drops it', () => {
  const s = new SchemaState();
  s.createTable('t', ['id', 'a', 'b'], ['id']);
  s.addForeignKey('t', { name: 'fk1', columns: ['a'], refTable: 'x', refColumns: ['id'] });
  assert.deepEqual(s.table('t').indexes.map((i) => i.name), ['fk1']);
  s.dropForeignKey('t', 'fk1');
  s.addForeignKey('t', { name: 'fk2', columns: ['a'], refTable: 'y', refColumns: ['id'] });
  assert.deepEqual(s.table('t').indexes.map((i) => i.name), ['fk2']);
  s.addIndex('t', { name: 'u', columns: ['a', 'b'], unique: true });
  assert.deepEqual(s.table('t').indexes.map((i) => i.name), ['u']);
  // From a snapshot (a dump), indexes are explicit and survive.
  const snap = SchemaState.fromSnapshot(schema);
  snap.dropForeignKey('patchwork_comment', 'patchwork_comment_patch_id_4d08e557_fk_patchwork_patch_id');
  snap.addForeignKey('patchwork_comment', { name: 'other', columns: ['patch_id'], refTable: 'p', refColumns: ['id'] });
  assert.ok(snap.indexOn('patchwork_comment', ['patch_id'])?.name === 'patchwork_comment_patch_id_4d08e557_fk_patchwork_patch_id');
});

test('the 0010 trap: NULL states are refused unless --null-state names a state', async () => {
  await assert.rejects(plan({ to: '2.1' }, 5), (e: unknown) => e instanceof ConfigError && /5 patch\(es\) have no state/.test(e.message) && /New, Accepted/.test(e.hint ?? ''));
  await assert.rejects(plan({ to: '2.1', nullState: 'Nope' }, 5), (e: unknown) => e instanceof ConfigError && /Nope/.test(e.message) && /New, Accepted/.test(e.hint ?? ''));
  const steps = await plan({ to: '2.1', nullState: 'Accepted' }, 5);
  const copy = steps.find((s) => s.id.includes('copy-patches'));
  assert.ok(copy?.kind === 'batched' && copy.sql.includes('COALESCE(s.state_id, 3)'));
  // Not reached: no question asked, no refusal.
  assert.ok((await plan({ to: '0009' }, 5)).length > 0);
});

test('targets: versions, migration numbers, nothing to do, and refusals', async () => {
  assert.deepEqual(await plan({ to: '1.0' }), []);
  const to7 = await plan({ to: '0007' });
  assert.equal(to7.at(-1)?.migration, 'patchwork.0007_move_comment_content_to_patch_content');
  assert.equal((await plan({})).at(-1)?.migration, `patchwork.${migrations.at(-1)?.name}`);
  await assert.rejects(plan({ to: 'nope' }), ConfigError);
  if (!migrations.some((m) => m.name.startsWith('0046'))) await assert.rejects(plan({ to: '3.x' }), /0046/);
  const gap = [...applied10, { app: 'patchwork', name: '0004_add_delegation_rule_model' }];
  await assert.rejects(plan({ to: '2.1' }, 0, gap), /out of order/);
  const notOne = applied10.filter((a) => !a.name.startsWith('0002'));
  await assert.rejects(plan({ to: '2.1' }, 0, notOne), /not Patchwork 1\.0/);
  const past = [...applied10, ...migrations.slice(0, 10).map((m) => ({ app: 'patchwork', name: m.name }))];
  await assert.rejects(plan({ to: '0007' }, 0, past), /already past/);
});
