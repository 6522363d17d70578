/**
 * A mysqldump 8.0 file, rewritten statement by statement, loads into the real MariaDB test server
 * with its meaning kept; constructs with no MariaDB equivalent stop with a FlavorError.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitStatements } from '../../pipeline/dump/splitter.js';
import { rewriteForFlavor, FlavorError } from '../../pipeline/dump/flavor-rewrite.js';
import { skip, testDatabase } from '../helpers/db.js';
import type { TestDatabase } from '../helpers/db.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/mysql8/${name}`, import.meta.url));
let db: TestDatabase | undefined;

before(async () => {
  if (!skip) db = await testDatabase('t_flavor');
});
after(async () => {
  await db?.close();
});

async function load(file: string): Promise<string[]> {
  const rewrites: string[] = [];
  const version = process.env['DRYDOCK_TEST_SERVER_VERSION'];
  for await (const s of splitStatements(createReadStream(file), { file })) {
    const r = rewriteForFlavor(s.sql.toString('utf8'), 'mariadb', version ? { source: 'mysql', targetVersion: version } : { source: 'mysql' });
    rewrites.push(...r.rewrites);
    if (r.sql) await db!.conn.query(r.sql);
  }
  return rewrites;
}

async function createTable(name: string): Promise<string> {
  const [r] = await db!.conn.query(`SHOW CREATE TABLE \`${name}\``);
  return String((r as Array<Record<string, unknown>>)[0]?.['Create Table']);
}

test('what MariaDB does with MySQL 8 versioned comments unrewritten: ignores them silently', { skip }, async () => {
  const c = db!.conn;
  const [r] = await c.query('SELECT 1 /*!50699 +1 */ /*!50700 +10 */ /*!80016 +100 */ /*!99999 +1000 */ AS v');
  assert.equal(Number((r as Array<{ v: number }>)[0]?.v), 2, 'only versions below 50700 run');
  await c.query('CREATE TABLE raw_inv (id int, s int /*!80023 INVISIBLE */, CONSTRAINT ck CHECK (s > 0) /*!80016 NOT ENFORCED */)');
  const ddl = await createTable('raw_inv');
  assert.doesNotMatch(ddl, /INVISIBLE/, 'the column silently became visible');
  await assert.rejects(c.query('INSERT INTO raw_inv VALUES (1, -1)'), /CONSTRAINT .ck. failed/, 'and the unenforced check became enforced');
});

test('a mysqldump 8.0 dump loads into MariaDB after the rewrite, meaning kept', { skip }, async () => {
  const rewrites = await load(fixture('dump80.sql'));
  assert.ok(rewrites.some((w) => /GTID_PURGED/.test(w)));
  assert.ok(rewrites.some((w) => /near-exact/.test(w)));
  const project = await createTable('patchwork_project');
  assert.match(project, /`shadow` int\(11\) INVISIBLE DEFAULT NULL/);
  assert.match(project, /KEY `name_idx` \(`name`\) IGNORED/);
  assert.match(project, /COLLATE=utf8mb4_uca1400_nopad_ai_ci/);
  assert.match(project, /`secret` varchar\(64\) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin/);
  assert.doesNotMatch(project, /patchwork_project_chk_1/, 'the NOT ENFORCED check is gone');
  assert.match(project, /patchwork_project_chk_2/, 'the enforced check stays');
  assert.match(project, /DEFAULT 'it''s \/\*!80016 not a comment\*\/ utf8mb4_0900_ai_ci'/, 'string literals untouched');
  const places = await createTable('places');
  assert.match(places, /utf8mb4_uca1400_swedish_nopad_ai_ci/);
  assert.match(places, /utf8mb4_uca1400_nopad_as_cs/);
  const [rows] = await db!.conn.query('SELECT id, name, project_label(id) AS label FROM patchwork_project ORDER BY id');
  assert.deepEqual(rows, [
    { id: 1, name: 'Linux', label: 'Linux' },
    { id: 2, name: 'Git', label: 'Git' },
  ]);
});

test('a functional index stops the load with a FlavorError naming it', { skip }, async () => {
  await assert.rejects(load(fixture('functional-index.sql')), (e: unknown) => {
    assert.ok(e instanceof FlavorError);
    assert.equal(e.construct, 'functional index');
    assert.match(e.message, /kind_idx.*in table events/);
    assert.match(e.hint ?? '', /generated column/);
    return true;
  });
});
