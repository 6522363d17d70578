import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerUrl, formatServerUrl, maskUrl, resolvePassword } from '../../pipeline/db/url.js';
import { ConfigError } from '../../pipeline/errors.js';
import { redact, registerSecret } from '../../pipeline/redact.js';

test('host:port and socket URLs', () => {
  assert.deepEqual(parseServerUrl('mysql://app@db.example:3307/pw'), { user: 'app', host: 'db.example', port: 3307, database: 'pw' });
  const s = parseServerUrl('mysql://root@localhost/pw?socket=/run/mysqld/mysqld.sock');
  assert.equal(s.socket, '/run/mysqld/mysqld.sock');
  assert.equal(formatServerUrl(s), 'mysql://root@localhost/pw?socket=/run/mysqld/mysqld.sock');
});

test('a password in the URL is refused, and the message does not repeat it', () => {
  assert.throws(
    () => parseServerUrl('mysql://app:s3cret@host/pw'),
    (e: unknown) => e instanceof ConfigError && !e.message.includes('s3cret') && /MYSQL_PWD/.test(e.hint ?? ''),
  );
});

test('missing database, wrong scheme, garbage', () => {
  assert.throws(() => parseServerUrl('mysql://app@host'), ConfigError);
  assert.throws(() => parseServerUrl('postgres://app@host/db'), ConfigError);
  assert.throws(() => parseServerUrl('not a url'), ConfigError);
});

test('password comes from MYSQL_PWD and is masked everywhere', () => {
  const a = resolvePassword(parseServerUrl('mysql://app@host/pw'), { MYSQL_PWD: 'hunter22' });
  assert.equal(a.password, 'hunter22');
  registerSecret(a.password);
  assert.equal(redact('failed with hunter22 inside'), 'failed with *** inside');
  assert.equal(maskUrl('mysql://u:pw@h/db'), 'mysql://u:***@h/db');
});
