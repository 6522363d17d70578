/**
 * The loader reads the literals of tables whose columns all have the dump's character set as
 * `binary` (see Worker.prepare in loader.ts: it spares the server a third of its work). That must
 * store exactly what the `mysql` client stores, also for the values a server converts, truncates
 * or rejects: invalid UTF-8, a VARCHAR too long, numbers and dates from text, ENUM case, and
 * tables the trick does not apply to (a latin1 column, a dump switching to `SET NAMES latin1`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { importDump } from '../../pipeline/stages/import.js';
import { skip } from '../helpers/db.js';
import { compareDatabases, dumpPair, type DumpPair } from './import-fixture.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const text = (s: string) => Buffer.from(s, 'utf8');

/** A dump in mysqldump's shape (non-strict sql_mode, as its header sets), with raw bytes where it matters. */
const DUMP = Buffer.concat([
  text(`/*!40101 SET NAMES utf8mb4 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
CREATE TABLE m (id INT NOT NULL PRIMARY KEY, t TEXT, v VARCHAR(3), i INT, d DATETIME, e ENUM('y','n'), KEY by_v (v)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO m VALUES (1,'héllo ✓ 😀','ééééé','12abc','2024-13-45 99:00:00','N'),(2,'`),
  hex('61 ff 62 c3'),
  text(`','`),
  hex('61 ff 62'),
  text(`','7','2024-01-02 03:04:05','y'),(3,'it\\'s \\\\ "q"','ab','-0','0000-00-00','');
CREATE TABLE mixed (id INT NOT NULL PRIMARY KEY, u TEXT, l TEXT CHARACTER SET latin1) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO mixed VALUES (1,'Grüße','Grüße'),(2,'😀','😀');
/*!40101 SET NAMES latin1 */;
CREATE TABLE l1 (id INT NOT NULL PRIMARY KEY, t TEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO l1 VALUES (1,'`),
  hex('47 72 c3 bc c3 9f 65'),
  text(`');
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
`),
]);

let pair: DumpPair | undefined;

before(async () => {
  if (skip) return;
  pair = await dumpPair('t_charsets', DUMP);
});

after(async () => {
  await pair?.close();
});

test('values the server converts, truncates or replaces are stored as the mysql client stores them', { skip }, async () => {
  await importDump({ address: pair!.viaDrydock.address, dump: pair!.dump, threads: 2 });
  await compareDatabases(pair!.viaClient, pair!.viaDrydock);
  const [m] = (await pair!.viaDrydock.conn.query('SELECT id, HEX(t) t, HEX(v) v, i, e FROM m ORDER BY id')) as [Array<Record<string, unknown>>, unknown];
  // Truncated to 3 characters (not bytes); invalid UTF-8 replaced by '?'; ENUM matched case-insensitively.
  assert.deepEqual(m[0], { id: 1, t: text('héllo ✓ 😀').toString('hex').toUpperCase(), v: 'C3A9C3A9C3A9', i: 12, e: 'n' });
  assert.deepEqual(m[1], { id: 2, t: '613F623F', v: '613F62', i: 7, e: 'y' });
  // Converted from latin1 by the client's SET NAMES latin1: each byte one character.
  const [l1] = (await pair!.viaDrydock.conn.query('SELECT HEX(t) t FROM l1')) as [Array<{ t: string }>, unknown];
  assert.equal(l1[0]?.t, text('GrÃ¼ÃŸe').toString('hex').toUpperCase());
});
