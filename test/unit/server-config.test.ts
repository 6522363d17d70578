import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderOptionFile, serverOptions, sizeBufferPool, sizeRedoLog, renderClientOptionFile, MIN_BUFFER_POOL, MAX_BUFFER_POOL } from '../../pipeline/engine/server-config.js';

const base = { flavor: 'mariadb' as const, dataDir: '/r/data', socket: '/r/s.sock', pidFile: '/r/p', errorLog: '/r/e', tmpDir: '/r/tmp', memoryBytes: 24 * 1024 ** 3 };

test('bulk-load settings: no binlog, relaxed flushing, no doublewrite, 1G packets', () => {
  const o = new Map(serverOptions(base));
  assert.equal(o.get('skip-log-bin'), 'ON');
  assert.equal(o.get('innodb_flush_log_at_trx_commit'), '0');
  assert.equal(o.get('innodb_doublewrite'), '0');
  assert.equal(o.get('max_allowed_packet'), '1G');
  assert.equal(o.get('skip-networking'), 'ON', 'socket only unless a port is asked for');
});

test('buffer pool and redo log are sized from memory within bounds', () => {
  assert.equal(sizeBufferPool(24 * 1024 ** 3), Math.floor(24 * 1024 ** 3 * 0.4));
  assert.equal(sizeBufferPool(64 * 1024 ** 2), MIN_BUFFER_POOL);
  assert.equal(sizeBufferPool(1024 ** 4), MAX_BUFFER_POOL);
  assert.equal(sizeRedoLog(MIN_BUFFER_POOL), 256 * 1024 ** 2);
  assert.equal(sizeRedoLog(2 * 1024 ** 3), 1024 ** 3);
  assert.equal(sizeRedoLog(MAX_BUFFER_POOL), 4 * 1024 ** 3);
  const o = new Map(serverOptions(base));
  assert.match(o.get('innodb_buffer_pool_size')!, /^\d+M$/);
});

test('a port binds to loopback only', () => {
  const o = new Map(serverOptions({ ...base, port: 34567 }));
  assert.equal(o.get('bind-address'), '127.0.0.1');
  assert.equal(o.get('port'), '34567');
  assert.equal(o.has('skip-networking'), false);
});

test('overrides win and appear once (dash and underscore spellings are one option)', () => {
  const opts = serverOptions({ ...base, overrides: { innodb_buffer_pool_size: '8M', 'max-allowed-packet': '64M' } });
  assert.equal(opts.filter(([k]) => k === 'innodb_buffer_pool_size').length, 1);
  assert.equal(new Map(opts).get('innodb_buffer_pool_size'), '8M');
  assert.equal(opts.filter(([k]) => k.replace(/-/g, '_') === 'max_allowed_packet').length, 1);
  assert.equal(new Map(opts).get('max_allowed_packet'), '64M');
});

test('MySQL gets its own switches for binlog and X protocol', () => {
  const o = new Map(serverOptions({ ...base, flavor: 'mysql' }));
  assert.equal(o.get('disable-log-bin'), 'ON');
  assert.equal(o.get('mysqlx'), 'OFF');
});

test('option file renders switches bare and values as key=value', () => {
  const text = renderOptionFile(base);
  assert.match(text, /^\[mysqld\]$/m);
  assert.match(text, /^skip-log-bin$/m);
  assert.match(text, /^innodb_doublewrite=0$/m);
});

test('client option file quotes passwords so any character survives', () => {
  const t = renderClientOptionFile({ user: 'u', password: 'p#"\\x', socket: '/s' });
  assert.match(t, /^password="p#\\"\\\\x"$/m);
  assert.match(t, /^socket="\/s"$/m);
});

test('client option file without a socket forces TCP (clients read host=localhost as the socket)', () => {
  const t = renderClientOptionFile({ user: 'u', host: 'localhost', port: 3307 });
  assert.match(t, /^protocol=TCP$/m);
  assert.match(t, /^port=3307$/m);
});
