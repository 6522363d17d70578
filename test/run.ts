/**
 * The test command: starts ONE throwaway MariaDB with drydock's own `local` engine, runs every
 * test file (unit and integration) in one `node --test` call so there is one closing summary, and
 * stops the server whatever happens. Integration files each use their own database on it
 * (test/helpers/db.ts). Without a server binary, integration tests are reported as skipped.
 *
 * Node 20's runner needs the files named explicitly: a folder or a quoted glob runs nothing.
 */
import { execa } from 'execa';
import { readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { localEngine } from '../pipeline/engine/local.js';
import type { StartedServer } from '../pipeline/engine/engine.js';

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const filter = process.argv.slice(2);
const files = filter.length ? filter : testFiles('test');
const env: NodeJS.ProcessEnv = { ...process.env };
let server: StartedServer | undefined;
const dir = mkdtempSync(join(tmpdir(), 'drydock-test-server-'));
try {
  server = await localEngine.start({ dir, database: 'drydock_test', memoryBytes: 2 * 1024 ** 3 });
  env['DRYDOCK_TEST_SOCKET'] = server.address.socket;
  env['DRYDOCK_TEST_SERVER_VERSION'] = server.version;
  console.log(`test server: ${server.version} on ${server.address.socket}`);
} catch (err) {
  env['DRYDOCK_TEST_NO_SERVER'] = (err as Error).message.split('\n')[0];
  console.log(`no test server (${env['DRYDOCK_TEST_NO_SERVER']}): integration tests will be skipped`);
}
let code = 1;
try {
  const r = await execa(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=240000', ...files],
    { env, stdio: 'inherit', reject: false },
  );
  code = r.exitCode ?? 1;
} finally {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
