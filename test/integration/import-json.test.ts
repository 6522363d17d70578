/** A dumpdata fixture streams into the real server with Django's table, key and value conventions. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importJsonFixture } from '../../pipeline/dump/json-fixture.js';
import type { JsonFixtureEvent } from '../../pipeline/dump/json-fixture.js';
import { DumpError } from '../../pipeline/errors.js';
import { skip, testDatabase } from '../helpers/db.js';
import type { TestDatabase } from '../helpers/db.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/json/${name}`, import.meta.url));
let db: TestDatabase | undefined;
const tmp = mkdtempSync(join(tmpdir(), 'drydock-json-'));

before(async () => {
  if (!skip) db = await testDatabase('t_import_json');
});
after(async () => {
  await db?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function q(sql: string): Promise<Array<Record<string, unknown>>> {
  const [r] = await db!.conn.query(sql);
  return r as Array<Record<string, unknown>>;
}

test('a Patchwork-like fixture loads: tables, FKs, M2M through tables, natural keys and value conversions', { skip }, async () => {
  const events: JsonFixtureEvent[] = [];
  const r = await importJsonFixture({ address: db!.address, file: fixture('patchwork.json'), schemaFile: fixture('schema.sql'), onEvent: (e) => events.push(e) });
  assert.deepEqual(r.tables, [
    { name: 'auth_group', rows: 1 },
    { name: 'auth_user', rows: 2 },
    { name: 'auth_user_groups', rows: 2 },
    { name: 'patchwork_project', rows: 2 },
    { name: 'patchwork_userprofile', rows: 2 },
    { name: 'patchwork_userprofile_maintainer_projects', rows: 3 },
    { name: 'testapp_gadget', rows: 2 },
  ]);
  assert.equal(events[0]?.event, 'schema');
  assert.equal(events.at(-1)?.event, 'done');
  assert.deepEqual(await q('SELECT id, username, is_superuser, last_name, last_login, date_joined FROM auth_user ORDER BY id'), [
    { id: 1, username: 'admin', is_superuser: 1, last_name: 'Min', last_login: '2023-04-05 06:07:08.123000', date_joined: '2020-01-01 00:00:00.000000' },
    { id: 2, username: 'jdoe', is_superuser: 0, last_name: 'O\'Doe \\ "quoted"', last_login: null, date_joined: '2021-06-30 21:30:00.500000' },
  ]);
  assert.deepEqual(await q('SELECT user_id, group_id FROM auth_user_groups ORDER BY user_id'), [
    { user_id: 1, group_id: 1 },
    { user_id: 2, group_id: 1 }, // from the natural key ["maintainers"]
  ]);
  assert.deepEqual(await q('SELECT id, user_id, send_email FROM patchwork_userprofile ORDER BY id'), [
    { id: 1, user_id: 1, send_email: 0 },
    { id: 2, user_id: 2, send_email: 1 }, // from the natural key ["jdoe"]
  ]);
  assert.deepEqual(await q('SELECT userprofile_id, project_id FROM patchwork_userprofile_maintainer_projects ORDER BY 1, 2'), [
    { userprofile_id: 1, project_id: 1 },
    { userprofile_id: 1, project_id: 2 },
    { userprofile_id: 2, project_id: 2 },
  ]);
  assert.deepEqual(await q('SELECT id, uid, CAST(meta AS CHAR) AS meta, HEX(`blob`) AS b, price, ratio, seen_at, day, owner_id, flag FROM testapp_gadget ORDER BY id'), [
    { id: '2', uid: '00000000000000000000000000000002', meta: '[]', b: null, price: '0.0000', ratio: -0.002, seen_at: '2024-01-01 00:00:00.000000', day: null, owner_id: null, flag: 1 },
    {
      id: '9007199254740991',
      uid: '0e3a6f2c1b2d4c5e8f90a1b2c3d4e5f6',
      meta: '{"tags":["a","b"],"n":1.5,"deep":{"ok":true}}',
      b: '000102FF',
      price: '12.3456',
      ratio: 0.1,
      seen_at: '2024-03-01 05:29:59.999999',
      day: '2024-02-29',
      owner_id: 2,
      flag: 0,
    },
  ]);
});

test('a large fixture streams in many batches and transactions', { skip }, async () => {
  await db!.reset();
  const file = join(tmp, 'big.json');
  const out = createWriteStream(file);
  const n = 30_000;
  out.write('[');
  for (let i = 1; i <= n; i++) {
    const line = `${i > 1 ? ',' : ''}\n{"model": "patchwork.project", "pk": ${i}, "fields": {"linkname": "p${i}", "name": "Project ${i} ${'x'.repeat(i % 50)}", "listid": "l${i}", "listemail": "e${i}@x", "web_url": "", "scm_url": "", "webscm_url": "", "send_notifications": ${i % 2 === 0}, "use_tags": true, "subject_match": ""}}`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end(']\n');
  await once(out, 'finish');
  const r = await importJsonFixture({ address: db!.address, file, schemaFile: fixture('schema.sql'), batchRows: 700 });
  assert.deepEqual(r.tables, [{ name: 'patchwork_project', rows: n }]);
  assert.deepEqual(await q('SELECT COUNT(*) AS n, SUM(send_notifications) AS s, MAX(id) AS m FROM patchwork_project'), [{ n: String(n), s: String(n / 2), m: n }]);
});

test('a model without a table is refused with the element, its position and what to do', { skip }, async () => {
  await db!.reset();
  await assert.rejects(importJsonFixture({ address: db!.address, file: fixture('unknown-model.json'), schemaFile: fixture('schema.sql') }), (e: unknown) => {
    assert.ok(e instanceof DumpError);
    assert.match(e.message, /element #1 \(model nosuch\.Thing\): maps to table nosuch_thing, which does not exist/);
    assert.deepEqual(e.location, { file: fixture('unknown-model.json'), offset: 61, line: 2 });
    assert.match(e.hint ?? '', /--schema/);
    return true;
  });
});

test('without a schema file the tables must exist: the first missing one is named', { skip }, async () => {
  await db!.reset();
  await assert.rejects(importJsonFixture({ address: db!.address, file: fixture('patchwork.json') }), /model auth\.group\): maps to table auth_group, which does not exist in database t_import_json/);
});

test('a truncated fixture points at the element it ends in', { skip }, async () => {
  await db!.reset();
  await assert.rejects(importJsonFixture({ address: db!.address, file: fixture('truncated.json'), schemaFile: fixture('schema.sql') }), (e: unknown) => {
    assert.ok(e instanceof DumpError);
    assert.match(e.message, /not a valid JSON array \(element #1\)/);
    assert.equal(e.location.offset, 61);
    assert.equal(e.location.line, 3);
    return true;
  });
});
