import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeAlters, mergeDdlSteps, parseAlter } from '../../transforms/core/ddl-merge.js';
import type { DdlStep, Step } from '../../transforms/core/step.js';

test("Django's add-field-with-FK statements become one ALTER (one rebuild), clauses in order", () => {
  const merged = mergeAlters([
    'ALTER TABLE `patchwork_patch` ADD COLUMN `delegate_id` integer NULL',
    'ALTER TABLE `patchwork_patch` ADD CONSTRAINT `patchwork_patch_delegate_id_fk` FOREIGN KEY (`delegate_id`) REFERENCES `auth_user` (`id`)',
    'CREATE INDEX `patchwork_patch_delegate_id_idx` ON `patchwork_patch` (`delegate_id`)',
    'ALTER TABLE `patchwork_patch` DROP COLUMN `old_flag`',
  ]);
  assert.deepEqual(merged, [
    'ALTER TABLE `patchwork_patch` ADD COLUMN `delegate_id` integer NULL, ' +
      'ADD CONSTRAINT `patchwork_patch_delegate_id_fk` FOREIGN KEY (`delegate_id`) REFERENCES `auth_user` (`id`), ' +
      'ADD INDEX `patchwork_patch_delegate_id_idx` (`delegate_id`), ' +
      'DROP COLUMN `old_flag`',
  ]);
});

test('add then drop of the same name is not merged', () => {
  const s = ['ALTER TABLE t ADD COLUMN x int', 'ALTER TABLE t DROP COLUMN x'];
  assert.deepEqual(mergeAlters(s), s);
  const i = ['ALTER TABLE t DROP INDEX i', 'ALTER TABLE t ADD INDEX i (a, b)'];
  assert.deepEqual(mergeAlters(i), i);
});

test("ADD COLUMN with a default then ALTER COLUMN DROP DEFAULT (Django's backfill) is not merged", () => {
  const s = ['ALTER TABLE `t` ADD COLUMN `n` integer DEFAULT 0 NOT NULL', 'ALTER TABLE `t` ALTER COLUMN `n` DROP DEFAULT'];
  assert.deepEqual(mergeAlters(s), s);
});

test('a use of a dropped or modified column is not merged; names compare case-insensitively', () => {
  const s = ['ALTER TABLE t MODIFY COLUMN Flag tinyint NOT NULL', 'ALTER TABLE t ADD INDEX f (flag)'];
  assert.deepEqual(mergeAlters(s), s);
});

test('a table rename, table options or other tables end the run', () => {
  assert.deepEqual(mergeAlters(['ALTER TABLE t ADD COLUMN a int', 'ALTER TABLE t RENAME TO u', 'ALTER TABLE t ADD COLUMN b int']), [
    'ALTER TABLE t ADD COLUMN a int',
    'ALTER TABLE t RENAME TO u',
    'ALTER TABLE t ADD COLUMN b int',
  ]);
  assert.deepEqual(mergeAlters(['ALTER TABLE t ADD COLUMN a int', 'ALTER TABLE t ENGINE=InnoDB']).length, 2);
  assert.deepEqual(mergeAlters(['ALTER TABLE t ADD COLUMN a int', 'ALTER TABLE u ADD COLUMN a int']).length, 2);
  assert.deepEqual(mergeAlters(['ALTER TABLE t ADD COLUMN a int', 'ALTER TABLE t ADD COLUMN g int AS (a + 1) VIRTUAL']).length, 2);
});

test('ADD COLUMN ... AFTER a column added earlier merges; renames do not', () => {
  assert.deepEqual(mergeAlters(['ALTER TABLE t ADD COLUMN a int', 'ALTER TABLE t ADD COLUMN b int AFTER a']), [
    'ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int AFTER a',
  ]);
  const r = ['ALTER TABLE t RENAME COLUMN a TO b', 'ALTER TABLE t ADD INDEX (b)'];
  assert.deepEqual(mergeAlters(r), r);
});

test('CREATE INDEX and DROP INDEX ... ON are parsed as the ALTER they are equivalent to', () => {
  assert.equal(parseAlter('CREATE UNIQUE INDEX u ON t (a, b);')?.clauses[0]?.text, 'ADD UNIQUE INDEX u (a, b)');
  assert.equal(parseAlter('DROP INDEX `u` ON `t`')?.clauses[0]?.text, 'DROP INDEX `u`');
  assert.equal(parseAlter('CREATE INDEX u ON t (a) USING BTREE'), undefined);
  assert.equal(parseAlter('UPDATE t SET a = 1'), undefined);
  // A lone statement is kept exactly as written.
  assert.deepEqual(mergeAlters(['CREATE INDEX u ON t (a)']), ['CREATE INDEX u ON t (a)']);
});

const ddl = (id: string, table: string, statements: string[], appliedWhen?: string): DdlStep => ({
  kind: 'ddl',
  id,
  title: `title ${id}`,
  table,
  statements,
  ...(appliedWhen ? { appliedWhen } : {}),
});

test('consecutive DDL steps on one table merge into one step; data steps are never crossed', () => {
  const data: Step = { kind: 'sql', id: 'd', title: 'data', statements: ['UPDATE t SET a = 1 WHERE id = 1'] };
  const steps = mergeDdlSteps([
    ddl('a', 't', ['ALTER TABLE t ADD COLUMN a int'], "SELECT 1 FROM information_schema.COLUMNS WHERE COLUMN_NAME='a'"),
    ddl('b', 't', ['ALTER TABLE t ADD COLUMN b int'], "SELECT 1 FROM information_schema.COLUMNS WHERE COLUMN_NAME='b'"),
    data,
    ddl('c', 't', ['ALTER TABLE t ADD COLUMN c int']),
    ddl('d2', 'u', ['ALTER TABLE u ADD COLUMN c int']),
  ]);
  assert.equal(steps.length, 4);
  const first = steps[0] as DdlStep;
  assert.equal(first.id, 'a+b');
  assert.deepEqual(first.statements, ['ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int']);
  assert.equal(
    first.appliedWhen,
    "SELECT 1 FROM DUAL WHERE EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE COLUMN_NAME='a') AND EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE COLUMN_NAME='b')",
  );
  assert.equal(steps[1], data);
  assert.equal((steps[2] as DdlStep).id, 'c');
  assert.equal((steps[3] as DdlStep).id, 'd2');
});

test('steps that cannot merge stay as they were (same objects)', () => {
  const a = ddl('a', 't', ['ALTER TABLE t ADD COLUMN x int']);
  const b = ddl('b', 't', ['ALTER TABLE t DROP COLUMN x']);
  const out = mergeDdlSteps([a, b]);
  assert.equal(out[0], a);
  assert.equal(out[1], b);
});

test('a merged step without a probe for every part has no probe', () => {
  const out = mergeDdlSteps([ddl('a', 't', ['ALTER TABLE t ADD COLUMN x int'], 'SELECT 1'), ddl('b', 't', ['ALTER TABLE t ADD COLUMN y int'])]);
  assert.equal(out.length, 1);
  assert.equal((out[0] as DdlStep).appliedWhen, undefined);
});
