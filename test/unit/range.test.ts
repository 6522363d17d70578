import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  afterPredicate,
  batchStatement,
  boundFromRow,
  countPlaceholders,
  inlineParams,
  nextBoundQuery,
  rangePredicate,
  upToPredicate,
} from '../../transforms/core/range.js';
import type { BatchedStep, DrivingTable } from '../../transforms/core/step.js';

const single: DrivingTable = { table: 'patch', alias: 'p', key: ['id'] };
const composite: DrivingTable = { table: 'tag_map', alias: 't', key: ['patch_id', 'tag_id'] };

test('single key: lower bound is exclusive, upper inclusive', () => {
  assert.deepEqual(afterPredicate('p', ['id'], [10]), { sql: '`p`.`id` > ?', params: [10] });
  assert.deepEqual(upToPredicate('p', ['id'], [20]), { sql: '`p`.`id` <= ?', params: [20] });
  assert.deepEqual(rangePredicate(single, { after: [10], upTo: [20] }), {
    sql: '(`p`.`id` > ?) AND (`p`.`id` <= ?)',
    params: [10, 20],
  });
});

test('composite key: tuple comparison expanded, never a row constructor', () => {
  const lo = afterPredicate('t', ['patch_id', 'tag_id'], [5, 7]);
  assert.equal(lo.sql, '`t`.`patch_id` >= ? AND (`t`.`patch_id` > ? OR (`t`.`patch_id` = ? AND `t`.`tag_id` > ?))');
  assert.deepEqual(lo.params, [5, 5, 5, 7]);
  const hi = upToPredicate('t', ['patch_id', 'tag_id'], [9, 1]);
  assert.equal(hi.sql, '`t`.`patch_id` <= ? AND (`t`.`patch_id` < ? OR (`t`.`patch_id` = ? AND `t`.`tag_id` <= ?))');
  assert.deepEqual(hi.params, [9, 9, 9, 1]);
  assert.doesNotMatch(lo.sql + hi.sql, /\(\s*`t`\.`patch_id`\s*,/);
});

test('three-column key nests the expansion', () => {
  const p = afterPredicate('x', ['a', 'b', 'c'], ['a1', 'b1', 'c1']);
  assert.equal(p.sql, '`x`.`a` >= ? AND (`x`.`a` > ? OR (`x`.`a` = ? AND (`x`.`b` > ? OR (`x`.`b` = ? AND `x`.`c` > ?))))');
  assert.deepEqual(p.params, ['a1', 'a1', 'a1', 'b1', 'b1', 'c1']);
});

test('string keys are parameters, never inlined', () => {
  const p = afterPredicate('u', ['username'], ["o'brien"]);
  assert.equal(p.sql, '`u`.`username` > ?');
  assert.deepEqual(p.params, ["o'brien"]);
});

test('unbounded chunks: first, final and whole-table (empty table)', () => {
  assert.deepEqual(rangePredicate(single, { after: null, upTo: [100] }), { sql: '`p`.`id` <= ?', params: [100] });
  assert.deepEqual(rangePredicate(single, { after: [100], upTo: null }), { sql: '`p`.`id` > ?', params: [100] });
  assert.deepEqual(rangePredicate(single, { after: null, upTo: null }), { sql: '1=1', params: [] });
});

test("the driving table's filter is ANDed to every chunk", () => {
  const d: DrivingTable = { ...single, where: 'p.project_id = 7' };
  assert.deepEqual(rangePredicate(d, { after: [1], upTo: null }), { sql: '(`p`.`id` > ?) AND (p.project_id = 7)', params: [1] });
  assert.deepEqual(rangePredicate(d, { after: null, upTo: null }), { sql: 'p.project_id = 7', params: [] });
});

test('next bound: keyset walk with LIMIT 1 OFFSET n-1 from the last key, never from the start', () => {
  const q = nextBoundQuery(single, [4000], 500);
  assert.equal(q.sql, 'SELECT `p`.`id` AS `k0` FROM `patch` AS `p` WHERE `p`.`id` > ? ORDER BY `p`.`id` LIMIT 1 OFFSET 499');
  assert.deepEqual(q.params, [4000]);
  const first = nextBoundQuery(composite, null, 1);
  assert.equal(
    first.sql,
    'SELECT `t`.`patch_id` AS `k0`, `t`.`tag_id` AS `k1` FROM `tag_map` AS `t` WHERE 1=1 ORDER BY `t`.`patch_id`, `t`.`tag_id` LIMIT 1 OFFSET 0',
  );
  assert.throws(() => nextBoundQuery(single, null, 0), /positive integer/);
});

test('bound row: null when fewer rows remain (the final chunk follows)', () => {
  assert.equal(boundFromRow(composite, undefined), null);
  assert.deepEqual(boundFromRow(composite, { k0: '3', k1: 'x' }), ['3', 'x']);
});

test('a bound with the wrong number of values is refused', () => {
  assert.throws(() => afterPredicate('t', ['a', 'b'], [1]), /1 value\(s\) for a key of 2/);
});

test('batch statement: {range} replaced, parameters spliced at the placeholder', () => {
  const step: BatchedStep = {
    id: 's1',
    title: 't',
    kind: 'batched',
    op: 'update',
    driving: { table: 'patch', alias: 'p', key: ['id'], where: 'p.state_id IS NULL' },
    target: 'patch',
    sql: "UPDATE patch AS p SET p.state_id = ?, p.note = 'why?' WHERE {range} AND p.delegate_id <> ?",
    params: [3, 9],
  };
  const s = batchStatement(step, { after: [10], upTo: [20] });
  assert.equal(
    s.sql,
    "UPDATE patch AS p SET p.state_id = ?, p.note = 'why?' WHERE ((`p`.`id` > ?) AND (`p`.`id` <= ?) AND (p.state_id IS NULL)) AND p.delegate_id <> ?",
  );
  assert.deepEqual(s.params, [3, 10, 20, 9]);
  assert.throws(() => batchStatement({ ...step, sql: 'UPDATE patch SET x=1' }, { after: null, upTo: null }), /exactly once/);
});

test('placeholders inside strings, identifiers and comments are not counted', () => {
  assert.equal(countPlaceholders("SELECT ?, '?', \"?\", `a?`, 'it''s ?' -- ?\n, ? /* ? */ # ?\n"), 2);
  assert.equal(countPlaceholders("SELECT 'a\\'?' , ?"), 1);
});

test('parameters are inlined only where a ? is a placeholder', () => {
  const esc = (v: unknown) => (typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : String(v));
  assert.equal(inlineParams("UPDATE t SET note = 'why?' WHERE id > ? AND name <= ?", [5, "o'b"], esc), "UPDATE t SET note = 'why?' WHERE id > 5 AND name <= 'o''b'");
  assert.throws(() => inlineParams('SELECT ?', [], esc), /more \? placeholders/);
  assert.throws(() => inlineParams('SELECT 1', [1], esc), /0 \? placeholder/);
});
