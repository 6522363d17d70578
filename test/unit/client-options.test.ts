import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sweepStaleOptionFiles, writeClientOptionFile } from '../../pipeline/db/client-options.js';

describe('client option files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drydock-sweep-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a file is 0600 in a directory named for this process, and gone once disposed', () => {
    const f = writeClientOptionFile({ user: 'u', host: '127.0.0.1', port: 3306, database: 'd', password: 's3cret' });
    try {
      assert.match(f.path, new RegExp(`drydock-client-${process.pid}-`));
      assert.equal(statSync(f.path).mode & 0o777, 0o600);
      assert.match(readFileSync(f.path, 'utf8'), /password/);
    } finally {
      f.dispose();
    }
    assert.equal(existsSync(f.path), false);
  });

  test("a dead drydock's leftover (SIGKILL) is swept; a live one's, and unrelated directories, are kept", () => {
    // A pid that has just exited: a child that ran `true`.
    const dead = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
    const stale = join(dir, `drydock-client-${dead}-abc123`);
    const live = join(dir, `drydock-client-${process.ppid}-def456`);
    const other = join(dir, 'drydock-clientele');
    for (const d of [stale, live, other]) {
      mkdirSync(d);
      writeFileSync(join(d, 'client.cnf'), '[client]\npassword=x\n', { mode: 0o600 });
    }
    assert.deepEqual(sweepStaleOptionFiles(dir), [`drydock-client-${dead}-abc123`]);
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(live), true);
    assert.equal(existsSync(other), true);
  });
});
