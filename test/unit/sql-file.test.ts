import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alterProbe, classifySql, stepsFromSql } from '../../transforms/core/sql-file.js';
import type { SchemaSnapshot, TableInfo } from '../../pipeline/db/introspect.js';
import type { BatchedStep, DdlStep, SqlStep } from '../../transforms/core/step.js';

function table(name: string, primaryKey: string[], extra: Partial<TableInfo> = {}): TableInfo {
  return { name, columns: [], primaryKey, indexes: [], foreignKeys: [], rowEstimate: 0, createSql: '', ...extra };
}

const schema: SchemaSnapshot = {
  database: 'pw',
  views: [],
  tables: new Map([
    ['patch', table('patch', ['id'])],
    ['tag_map', table('tag_map', ['patch_id', 'tag_id'])],
    ['patchtag', table('patchtag', ['id'])],
    ['comment', table('comment', ['id'])],
    ['nokey', table('nokey', [])],
    [
      'users',
      table('users', [], {
        columns: [{ name: 'username', type: 'varchar(150)', nullable: false, default: null, extra: '', position: 1 }],
        indexes: [{ name: 'username', unique: true, columns: ['username'] }],
      }),
    ],
  ]),
};

const FILE = `BEGIN;
--
-- Add field archived to patch
--
ALTER TABLE \`patch\` ADD COLUMN \`archived\` bool DEFAULT false NOT NULL;
CREATE INDEX \`patch_archived\` ON \`patch\` (\`archived\`);
--
-- Raw SQL operation
--
UPDATE \`patch\` SET \`archived\` = true WHERE \`state\` = 'done; really';
INSERT INTO patchtag (patch_id, tag_id, count) SELECT p.id, 1, 1 FROM patch p WHERE p.content LIKE '%Acked-by:%';
DELETE FROM comment;
UPDATE patch SET archived = false ORDER BY id LIMIT 10;
INSERT INTO patchtag (patch_id) VALUES (1);
COMMIT;
`;

test('a sqlmigrate file: BEGIN/COMMIT dropped, DDL, batched DML, unbatched refusals; titles from the -- comments', async () => {
  const steps = await stepsFromSql(FILE, { file: 'migrations/0042_archived.sql', schema });
  assert.deepEqual(
    steps.map((s) => [s.id, s.kind, s.title]),
    [
      ['0042_archived#1', 'ddl', 'Add field archived to patch'],
      ['0042_archived#2', 'ddl', 'Add field archived to patch'],
      ['0042_archived#3', 'batched', 'Raw SQL operation'],
      ['0042_archived#4', 'batched', 'Raw SQL operation'],
      ['0042_archived#5', 'batched', 'Raw SQL operation'],
      ['0042_archived#6', 'sql', 'Raw SQL operation'],
      ['0042_archived#7', 'sql', 'Raw SQL operation'],
    ],
  );
  const [ddl1, ddl2, upd, ins, del, lim, values] = steps as [DdlStep, DdlStep, BatchedStep, BatchedStep, BatchedStep, SqlStep, SqlStep];
  assert.equal(ddl1.table, 'patch');
  assert.equal(ddl2.appliedWhen, "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'patch' AND INDEX_NAME = 'patch_archived'");
  assert.deepEqual(upd.driving, { table: 'patch', alias: 'patch', key: ['id'], where: "`state` = 'done; really'" });
  assert.equal(upd.sql, 'UPDATE `patch` SET `archived` = true WHERE {range}');
  assert.equal(upd.migration, '0042_archived');
  assert.equal(ins.op, 'copy');
  assert.equal(ins.target, 'patchtag');
  assert.deepEqual(ins.driving, { table: 'patch', alias: 'p', key: ['id'], where: "p.content LIKE '%Acked-by:%'" });
  assert.equal(ins.sql, 'INSERT INTO patchtag (patch_id, tag_id, count) SELECT p.id, 1, 1 FROM patch p WHERE {range}');
  assert.deepEqual(del.driving, { table: 'comment', alias: 'comment', key: ['id'] });
  assert.equal(del.sql, 'DELETE FROM comment WHERE {range}');
  assert.match(lim.unbatched?.reason ?? '', /ORDER BY\/LIMIT/);
  assert.equal(values.unbatched, undefined);
});

const kind = (sql: string) => {
  const c = classifySql(sql, schema);
  return c.kind === 'unbatched' ? `unbatched: ${c.reason}` : c.kind;
};

test('multi-table UPDATE: batched when only the first table is written, its WHERE kept in the statement', () => {
  const c = classifySql('UPDATE patch p JOIN tag_map t ON t.patch_id = p.id SET p.n = t.tag_id WHERE t.tag_id > 3', schema);
  assert.equal(c.kind, 'batched');
  if (c.kind !== 'batched') return;
  assert.equal(c.sql, 'UPDATE patch p JOIN tag_map t ON t.patch_id = p.id SET p.n = t.tag_id WHERE {range} AND (t.tag_id > 3)');
  assert.equal(c.where, undefined);
  assert.match(kind('UPDATE patch p JOIN tag_map t ON t.patch_id = p.id SET t.tag_id = 1'), /writes t\.?/);
});

test('what cannot be batched safely is marked unbatched, with the reason', () => {
  assert.match(kind('UPDATE nokey SET a = 1'), /no primary key/);
  assert.match(kind('INSERT INTO patch (id) SELECT id + 1000 FROM patch'), /reads its own target/);
  assert.match(kind('INSERT INTO patchtag (patch_id) SELECT p.id FROM patch p GROUP BY p.id'), /GROUP/);
  assert.match(kind('INSERT INTO patchtag (patch_id) SELECT DISTINCT p.id FROM patch p'), /DISTINCT/);
  assert.match(kind('INSERT INTO patchtag (patch_id) SELECT p.id FROM patch p ON DUPLICATE KEY UPDATE count = 1'), /ON DUPLICATE/);
  assert.match(kind('DELETE c FROM comment c JOIN patch p ON p.id = c.patch_id'), /multi-table DELETE/);
  assert.match(kind('DELETE FROM comment USING comment JOIN patch'), /multi-table DELETE/);
  assert.match(kind('DELETE FROM comment ORDER BY id LIMIT 5'), /ORDER BY\/LIMIT/);
  assert.match(kind('UPDATE patch SET id = id + 1'), /changes id, part of the key/);
});

test('walkable key: a unique NOT NULL key when there is no primary key; subqueries do not confuse clause detection', () => {
  const c = classifySql("UPDATE users SET username = LOWER(username) WHERE username IN (SELECT x FROM y ORDER BY x LIMIT 3)", schema);
  assert.match(c.kind === 'unbatched' ? c.reason : '', /changes username/);
  const d = classifySql('DELETE FROM users WHERE username IN (SELECT x FROM y LIMIT 3)', schema);
  assert.equal(d.kind, 'batched');
});

test('without comments, the title is the start of the statement', async () => {
  const steps = await stepsFromSql('INSERT INTO patchtag (patch_id, tag_id, count) SELECT p.id, 1, 1 FROM patch p;\nDELETE FROM comment', { file: 'x.sql', schema });
  assert.deepEqual(steps.map((s) => s.title), ['INSERT INTO patchtag (patch_id, tag_id, count) SELECT p.i...', 'DELETE FROM comment']);
});

test('DDL and everything else', () => {
  assert.equal(kind('CREATE TABLE IF NOT EXISTS t (id int primary key)'), 'ddl');
  assert.equal(kind('DROP INDEX i ON patch'), 'ddl');
  assert.equal(kind('RENAME TABLE a TO b'), 'ddl');
  assert.equal(kind('SET FOREIGN_KEY_CHECKS = 0'), 'sql');
  assert.equal(kind('START TRANSACTION'), 'skip');
});

test('an ALTER of ADDs and DROPs gets a probe for "already applied"; MODIFY cannot be probed', () => {
  assert.equal(
    alterProbe('ALTER TABLE `patch` ADD COLUMN `Archived` bool NOT NULL, DROP INDEX old'),
    "SELECT 1 FROM DUAL WHERE EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'patch' AND LOWER(COLUMN_NAME) = 'archived')" +
      " AND NOT (EXISTS (SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'patch' AND LOWER(INDEX_NAME) = 'old')" +
      " OR EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'patch' AND LOWER(CONSTRAINT_NAME) = 'old'))",
  );
  assert.equal(alterProbe('ALTER TABLE patch MODIFY x int'), undefined);
});

test('ALTER COLUMN ... DROP DEFAULT is probed by the column having no default, alone or with other clauses', () => {
  const noDefault = (c: string) =>
    `EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'patch' AND LOWER(COLUMN_NAME) = '${c}'` +
    ` AND (COLUMN_DEFAULT IS NULL OR (IS_NULLABLE = 'YES' AND COLUMN_DEFAULT = 'NULL')))`;
  assert.equal(alterProbe('ALTER TABLE `patch` ALTER COLUMN `Archived` DROP DEFAULT'), `SELECT 1 FROM DUAL WHERE ${noDefault('archived')}`);
  assert.equal(
    alterProbe('ALTER TABLE patch ALTER state DROP DEFAULT, ADD INDEX by_state (state)'),
    `SELECT 1 FROM DUAL WHERE ${noDefault('state')} AND (EXISTS (SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'patch' AND LOWER(INDEX_NAME) = 'by_state')` +
      " OR EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'patch' AND LOWER(CONSTRAINT_NAME) = 'by_state'))",
  );
  assert.equal(alterProbe("ALTER TABLE patch ALTER COLUMN x SET DEFAULT 'a'"), undefined);
});
