/**
 * The operator's runbook rehearsed as CI would: scripts/runbook.sh --yes against a "production"
 * server reached over TCP with a password user (MYSQL_PWD), through dump, pipeline, staged
 * reimport and swap, then rollback and cleanup. Rehearsing it found two bugs the stage tests missed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { skip } from '../helpers/db.js';
import { ROOT } from '../helpers/cli.js';
import { localEngine } from '../../pipeline/engine/local.js';
import { connect } from '../../pipeline/db/connection.js';
import { importWithClient } from '../../pipeline/stages/import-client.js';

const PASSWORD = 'Rehearsal-pw-42x';

test('runbook: dump → pipeline → stage → swap, then rollback and cleanup, no password in its output', { skip, timeout: 300_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'drydock-runbook-'));
  const prod = await localEngine.start({ dir: join(tmp, 'prod'), database: 'patchwork', tcp: true, memoryBytes: 1024 ** 3 });
  try {
    const root = await connect(prod.address, null);
    await root.query(`CREATE USER 'ops'@'%' IDENTIFIED BY '${PASSWORD}'`);
    await root.query(`GRANT ALL ON *.* TO 'ops'@'%'`);
    await importWithClient({ address: prod.address, dump: join(ROOT, 'examples/patchwork-1.0-small.sql') });
    const tablesOf = async (db: string) => {
      const [r] = await root.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [db]);
      return (r as Array<{ t: string }>).map((x) => x.t);
    };
    const runbook = (...args: string[]) =>
      spawnSync('bash', ['scripts/runbook.sh', '--yes', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 240_000,
        env: {
          ...process.env,
          PROD_URL: `mysql://ops@127.0.0.1:${prod.address.port}/patchwork`,
          WORK_DIR: join(tmp, 'work'),
          TO_VERSION: '2.1',
          PIPELINE_FLAGS: `--server-memory 1G --run-dir ${join(tmp, 'run')}`,
          DRYDOCK_CMD: `${process.execPath} --import tsx pipeline/cli.ts`,
          MYSQL_PWD: PASSWORD,
        },
      });
    try {
      const all = runbook();
      assert.equal(all.status, 0, all.stdout + all.stderr);
      assert.ok((await tablesOf('patchwork')).includes('patchwork_submission'), 'live is Patchwork 2.1 after the swap');
      assert.ok((await tablesOf('patchwork_drydock_old')).includes('patchwork_comment'), 'the 1.0 tables wait in the backup');

      const back = runbook('rollback');
      assert.equal(back.status, 0, back.stdout + back.stderr);
      assert.equal((await tablesOf('patchwork')).includes('patchwork_submission'), false, 'live is 1.0 again');

      const clean = runbook('cleanup');
      assert.equal(clean.status, 0, clean.stdout + clean.stderr);
      assert.deepEqual(await tablesOf('patchwork_drydock_old'), []);
      for (const r of [all, back, clean]) assert.equal((r.stdout + r.stderr).includes(PASSWORD), false, 'the password is never printed');
    } finally {
      await root.end();
    }
  } finally {
    await prod.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
