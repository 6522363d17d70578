import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { parseRunConfig, validateBatch, parseServerOptions, parseSize, DEFAULT_BATCH_ROWS } from '../../pipeline/config.js';
import { ConfigError, EXIT_CODES } from '../../pipeline/errors.js';
import { verifyUntouched } from '../../pipeline/run.js';
import { containerPlan } from '../../pipeline/engine/docker.js';

const dump = 'package.json'; // any existing file stands in for a dump here

test('run config: defaults, frozen', () => {
  const c = parseRunConfig({ dump, out: 'out' });
  assert.equal(c.batchRows, DEFAULT_BATCH_ROWS);
  assert.equal(c.engine, 'local');
  assert.equal(c.database, 'drydock');
  assert.ok(Object.isFrozen(c));
});

test('run config: an engine URL implies the external engine and names the database', () => {
  const c = parseRunConfig({ dump, out: 'o', engineUrl: 'mysql://root@localhost/scratch?socket=/s' });
  assert.equal(c.engine, 'external');
  assert.equal(c.database, 'scratch');
});

test('run config: every bad flag is a ConfigError that says what is allowed', () => {
  assert.throws(() => parseRunConfig({ out: 'o' }), /--dump is required/);
  assert.throws(() => parseRunConfig({ dump, out: undefined as unknown as string }), /--out is required/);
  assert.throws(() => parseRunConfig({ dump: 'no/such.sql', out: 'o' }), /does not exist/);
  assert.throws(() => parseRunConfig({ dump, out: 'o', engine: 'podman' }), /unknown --engine/);
  assert.throws(() => parseRunConfig({ dump, out: 'o', engine: 'external' }), /needs --engine-url/);
  assert.throws(() => parseRunConfig({ dump, out: 'o', engine: 'local', engineUrl: 'mysql://a@b/c' }), /external engine/);
  assert.throws(() => validateBatch(0, undefined), /from 1 to/);
  assert.throws(() => validateBatch(1.5, undefined), ConfigError);
  assert.throws(() => validateBatch(100, 0), /more than 0/);
  assert.throws(() => parseServerOptions(['nonsense']), /key=value/);
  assert.deepEqual(parseServerOptions(['innodb_buffer_pool_size=8M']), { innodb_buffer_pool_size: '8M' });
});

test('the CLI exits 2 with a message and a hint on bad arguments, 0 on --help', () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'pipeline/cli.ts', ...args], { encoding: 'utf8' });
  const bad = run(['run', '--out', 'o']);
  assert.equal(bad.status, EXIT_CODES.config);
  assert.match(bad.stderr, /--dump is required/);
  assert.match(bad.stderr, /what to do:/);
  const unknown = run(['migrate', '--engine-url', 'mysql://u@h/d', '--batch-rows', '0']);
  assert.equal(unknown.status, EXIT_CODES.config);
  const help = execFileSync(process.execPath, ['--import', 'tsx', 'pipeline/cli.ts', '--help'], { encoding: 'utf8' });
  for (const cmd of ['run', 'import', 'migrate', 'plan', 'export', 'generate', 'engine']) assert.match(help, new RegExp(`drydock ${cmd}`));
  assert.match(run(['run', '--help']).stdout, /Examples:/);
});

test('verification: untouched tables must keep count and checksum', () => {
  const before = [
    { name: 'a', rows: 3, checksum: '1' },
    { name: 'b', rows: 2, checksum: '2' },
    { name: 'c', rows: 1, checksum: '3' },
  ];
  const after = [
    { name: 'a', rows: 3, checksum: '1' },
    { name: 'b', rows: 1, checksum: '9' },
  ];
  assert.deepEqual(verifyUntouched(before, after, new Set(['b'])), ['c: missing after migration']);
  assert.equal(verifyUntouched(before, after, new Set()).length, 2);
});

test('docker engine: container definition as data', () => {
  const p = containerPlan({ image: 'mysql:8.0', options: { innodb_buffer_pool_size: '8M' } }, 'pw');
  assert.equal(p.image, 'mysql:8.0');
  assert.equal(p.env['MYSQL_ROOT_PASSWORD'], 'pw');
  assert.deepEqual(p.command, ['--innodb-buffer-pool-size=8M']);
  const m = containerPlan({}, 'pw');
  assert.equal(m.image, 'mariadb:10.11');
  assert.equal(m.env['MARIADB_ROOT_PASSWORD'], 'pw');
});

test('sizes: 512M, 2G, bytes; garbage is a ConfigError', () => {
  assert.equal(parseSize('512M', '--server-memory'), 512 * 1024 ** 2);
  assert.equal(parseSize('2G', '--server-memory'), 2 * 1024 ** 3);
  assert.equal(parseSize('1.5GiB', '--server-memory'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('4096', '--server-memory'), 4096);
  assert.throws(() => parseSize('lots', '--server-memory'), /not a size/);
  assert.equal(parseRunConfig({ dump, out: 'o', serverMemory: '1G' }).serverMemory, 1024 ** 3);
});
