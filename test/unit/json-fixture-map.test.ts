import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { defaultTableName, tableForModel, mapField, isoToMysqlDatetime, toSqlValue, ElementPositions } from '../../pipeline/dump/json-fixture.js';
import type { TableShape } from '../../pipeline/dump/json-fixture.js';

function shape(name: string, cols: Record<string, string>, refs: Record<string, string> = {}, pk = ['id']): TableShape {
  return { name, columns: new Map(Object.entries(cols)), primaryKey: pk, references: new Map(Object.entries(refs)) };
}

test('model labels map to Django default table names, overrides win case-insensitively', () => {
  assert.equal(defaultTableName('patchwork.UserProfile'), 'patchwork_userprofile');
  assert.equal(defaultTableName('auth.user'), 'auth_user');
  assert.equal(tableForModel('patchwork.Patch', { 'PATCHWORK.patch': 'pw_patch' }), 'pw_patch');
  assert.throws(() => defaultTableName('nodot'), /app_label/);
});

test('fields map to columns, ForeignKeys to <field>_id, lists to the through table found by its foreign keys', () => {
  const profile = shape('patchwork_userprofile', { id: 'int(11)', user_id: 'int(11)', send_email: 'tinyint(1)' }, { user_id: 'auth_user' });
  const through = shape(
    'patchwork_userprofile_maintainer_projects',
    { id: 'int(11)', userprofile_id: 'int(11)', project_id: 'int(11)' },
    { userprofile_id: 'patchwork_userprofile', project_id: 'patchwork_project' },
  );
  const lookup = (n: string) => (n === through.name ? through : undefined);
  assert.deepEqual(mapField(profile, 'send_email', true, lookup), { kind: 'column', column: 'send_email', type: 'tinyint(1)' });
  assert.deepEqual(mapField(profile, 'user', 3, lookup), { kind: 'column', column: 'user_id', type: 'int(11)', refTable: 'auth_user' });
  assert.deepEqual(mapField(profile, 'maintainer_projects', [1, 2], lookup), {
    kind: 'm2m',
    through: through.name,
    source: 'userprofile_id',
    target: 'project_id',
    targetTable: 'patchwork_project',
  });
  assert.equal(mapField(profile, 'nosuch', 1, lookup), undefined);
  assert.equal(mapField(profile, 'nosuch', [1], lookup), undefined);
});

test('a symmetrical self many-to-many takes from_<model>_id as the source; without FKs the <model>_id name decides', () => {
  const person = shape('app_person', { id: 'int' });
  const friends = shape('app_person_friends', { id: 'int', from_person_id: 'int', to_person_id: 'int' }, { from_person_id: 'app_person', to_person_id: 'app_person' });
  assert.deepEqual(mapField(person, 'friends', [2], () => friends), { kind: 'm2m', through: 'app_person_friends', source: 'from_person_id', target: 'to_person_id', targetTable: 'app_person' });
  const tags = shape('app_person_tags', { id: 'int', person_id: 'int', tag_id: 'int' });
  assert.deepEqual(mapField(person, 'tags', [1], () => tags), { kind: 'm2m', through: 'app_person_tags', source: 'person_id', target: 'tag_id', targetTable: undefined });
});

test('ISO datetimes become UTC MySQL datetimes, the fraction carried exactly', () => {
  assert.equal(isoToMysqlDatetime('2023-04-05T06:07:08.123Z'), '2023-04-05 06:07:08.123000');
  assert.equal(isoToMysqlDatetime('2021-06-30T23:30:00.5+02:00'), '2021-06-30 21:30:00.500000');
  assert.equal(isoToMysqlDatetime('2024-02-29T23:59:59.999999-05:30'), '2024-03-01 05:29:59.999999');
  assert.equal(isoToMysqlDatetime('2024-01-01T00:00:00'), '2024-01-01 00:00:00', 'naive (USE_TZ=False) kept');
  assert.equal(isoToMysqlDatetime('2024-01-01T10:00+0100'), '2024-01-01 09:00:00');
  assert.equal(isoToMysqlDatetime('2024-01-01'), undefined);
  assert.equal(isoToMysqlDatetime('yesterday'), undefined);
});

test('values convert by column type', () => {
  assert.equal(toSqlValue(true, 'tinyint(1)'), 1);
  assert.equal(toSqlValue(false, 'tinyint(1)'), 0);
  assert.equal(toSqlValue(null, 'int'), null);
  assert.equal(toSqlValue({ a: [1, 'x'] }, 'longtext'), '{"a":[1,"x"]}');
  assert.equal(toSqlValue('2020-01-01T00:00:00Z', 'datetime(6)'), '2020-01-01 00:00:00');
  assert.equal(toSqlValue('2020-01-01T00:00:00Z', 'varchar(30)'), '2020-01-01T00:00:00Z', 'only datetime columns convert');
  assert.deepEqual(toSqlValue('AAEC/w==', 'longblob'), Buffer.from([0, 1, 2, 255]));
  assert.equal(toSqlValue('0E3A6F2C-1B2D-4C5E-8F90-A1B2C3D4E5F6', 'char(32)'), '0e3a6f2c1b2d4c5e8f90a1b2c3d4e5f6');
  assert.equal(toSqlValue('12.3456', 'decimal(12,4)'), '12.3456');
  assert.throws(() => toSqlValue(2 ** 60, 'bigint(20)'), /2\^53/);
});

test('element start positions are found across chunk boundaries, strings with brackets and escapes included', async () => {
  const text = '[\n {"a": "x]\\"[,"},\n  [1,2],\n3 ,"s" ,\n{"b":{}}\n]';
  const chunks = [...text].map((c) => Buffer.from(c)); // one byte per chunk: the worst case for boundaries
  const p = new ElementPositions();
  await new Promise<void>((resolve, reject) => {
    Readable.from(chunks).pipe(p).on('data', () => undefined).on('end', resolve).on('error', reject);
  });
  const want = ['{"a"', '[1,2]', '3', '"s"', '{"b"'].map((s) => text.indexOf(s));
  assert.deepEqual(p.starts.map((s) => s.offset), want);
  assert.deepEqual(p.starts.map((s) => s.line), [2, 3, 4, 4, 5]);
});
