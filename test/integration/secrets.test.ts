/**
 * No secret in argv or logs: a child drydock gets a password through MYSQL_PWD; while it runs, no
 * process's command line shows it, and nothing it prints or logs contains it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { skip, testDatabase } from '../helpers/db.js';
import { drydock } from '../helpers/cli.js';
import { generatePatchworkToFile } from '../../transforms/patchwork/generate.js';

const PASSWORD = 'Sup3r-Secret-pw-7f3a';

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

test('a password given through MYSQL_PWD never shows in ps, output or logs', { skip }, async () => {
  const db = await testDatabase('t_secrets');
  const tmp = mkdtempSync(join(tmpdir(), 'drydock-secrets-'));
  try {
    await db.conn.query(`CREATE USER IF NOT EXISTS 'pwuser'@'localhost' IDENTIFIED BY '${PASSWORD}'`);
    await db.conn.query(`GRANT ALL ON *.* TO 'pwuser'@'localhost'`);
    const dump = join(tmp, 'pw.sql');
    await generatePatchworkToFile({ patches: 2000, version: '1.0' }, dump);
    const url = `mysql://pwuser@localhost/t_secrets?socket=${db.address.socket}`;
    const run = drydock(['run', '--dump', dump, '--out', join(tmp, 'out'), '--run-dir', join(tmp, 'run'), '--engine-url', url, '--importer', 'client', '--pack', 'none'], { MYSQL_PWD: PASSWORD });
    let sawChildren = 0;
    let done = false;
    void run.exit.then(() => (done = true));
    while (!done) {
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      assert.equal(ps.includes(PASSWORD), false, 'the password is visible in ps');
      if (/mariadb-dump|mysqldump|mariadb |mysql /.test(ps)) sawChildren += 1;
      await new Promise((r) => setTimeout(r, 25));
    }
    const { code } = await run.exit;
    assert.equal(code, 0, run.stderr());
    assert.ok(sawChildren > 0, 'the client children were observed while they ran');
    assert.equal(run.stdout().includes(PASSWORD) || run.stderr().includes(PASSWORD), false);
    for (const f of allFiles(join(tmp, 'run'))) assert.equal(readFileSync(f, 'latin1').includes(PASSWORD), false, `${f} holds the password`);

    const bad = drydock(['export', '--engine-url', `mysql://pwuser:${PASSWORD}@localhost/t_secrets`, '--out', join(tmp, 'x')]);
    const r = await bad.exit;
    assert.equal(r.code, 2);
    assert.equal(bad.stderr().includes(PASSWORD), false, 'a password pasted into a URL is not echoed');
  } finally {
    await db.conn.query(`DROP USER IF EXISTS 'pwuser'@'localhost'`).catch(() => {});
    await db.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
