import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteForFlavor, FlavorError } from '../../pipeline/dump/flavor-rewrite.js';

const toMaria = (sql: string, targetVersion?: string) =>
  rewriteForFlavor(sql, 'mariadb', targetVersion ? { source: 'mysql', targetVersion } : { source: 'mysql' });
const toMysql = (sql: string) => rewriteForFlavor(sql, 'mysql', { source: 'mariadb' });

function throwsFlavor(fn: () => unknown, construct: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FlavorError, `expected FlavorError, got ${String(e)}`);
    assert.match(e.construct, construct);
    assert.ok(e.hint && e.hint.length > 10, 'says what to do');
    return true;
  });
}

test('statements without foreign constructs come back unchanged, with no rewrites', () => {
  const sql = 'CREATE TABLE `t` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';
  assert.deepEqual(toMaria(sql), { sql, rewrites: [] });
  assert.deepEqual(toMysql(sql), { sql, rewrites: [] });
  assert.deepEqual(rewriteForFlavor('CREATE TABLE x (a int) COLLATE utf8mb4_0900_ai_ci', 'mysql', { source: 'mysql' }).rewrites, []);
});

test('0900 collations map to NO PAD uca1400 on MariaDB >= 10.10, with the UCA-version caveat', () => {
  const r = toMaria('CREATE TABLE t (a varchar(5) COLLATE utf8mb4_0900_ai_ci, b char(2) COLLATE utf8mb4_0900_bin, c text COLLATE utf8mb4_sv_0900_as_cs) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci');
  assert.equal(
    r.sql,
    'CREATE TABLE t (a varchar(5) COLLATE utf8mb4_uca1400_nopad_ai_ci, b char(2) COLLATE utf8mb4_nopad_bin, c text COLLATE utf8mb4_uca1400_swedish_nopad_as_cs) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_nopad_ai_ci',
  );
  assert.ok(r.rewrites.some((w) => /near-exact, not identical/.test(w) && /UCA 9\.0\.0/.test(w)));
  assert.ok(r.rewrites.some((w) => /utf8mb4_nopad_bin: exact/.test(w)));
});

test('older MariaDB gets unicode_520 for 0900_ai_ci and an error for collations it cannot approximate', () => {
  const r = toMaria('SET collation_connection = utf8mb4_0900_ai_ci', '10.5.20-MariaDB');
  assert.equal(r.sql, 'SET collation_connection = utf8mb4_unicode_520_nopad_ci');
  assert.match(r.rewrites[0]!, /approximate/);
  throwsFlavor(() => toMaria('CREATE TABLE t (a text COLLATE utf8mb4_0900_as_cs)', '10.5.20'), /0900_as_cs/);
  assert.equal(toMaria('CREATE TABLE t (a text CHARACTER SET utf8mb3)', '10.5.20').sql, 'CREATE TABLE t (a text CHARACTER SET utf8)');
  assert.deepEqual(toMaria('CREATE TABLE t (a text CHARACTER SET utf8mb3)').rewrites, []);
});

test('strings, identifiers and comments are never rewritten', () => {
  const sql = "CREATE TABLE `utf8mb4_0900_ai_ci` (a varchar(9) DEFAULT 'utf8mb4_0900_ai_ci /*!80016 x */' COMMENT \"utf8mb4_0900_bin\") /* utf8mb4_0900_ai_ci */ COLLATE utf8mb4_0900_ai_ci";
  const r = toMaria(sql);
  assert.equal(r.sql, sql.replace(/COLLATE utf8mb4_0900_ai_ci$/, 'COLLATE utf8mb4_uca1400_nopad_ai_ci'));
});

test('MySQL 8 versioned comments MariaDB would ignore are made explicit', () => {
  const r = toMaria(
    'CREATE TABLE `p` (\n  `id` int NOT NULL,\n  `s` int DEFAULT NULL /*!80023 INVISIBLE */,\n  `g` point NOT NULL /*!80003 SRID 4326 */,\n  KEY `k` (`s`) /*!80000 INVISIBLE */,\n' +
      "  CONSTRAINT `c1` CHECK ((`id` > 0)) /*!80016 NOT ENFORCED */\n) ENGINE=InnoDB /*!80016 DEFAULT ENCRYPTION='N' */",
  );
  assert.equal(r.sql, 'CREATE TABLE `p` (\n  `id` int NOT NULL,\n  `s` int DEFAULT NULL INVISIBLE,\n  `g` point NOT NULL,\n  KEY `k` (`s`) IGNORED\n) ENGINE=InnoDB');
  assert.equal(r.rewrites.length, 5);
  assert.ok(r.rewrites.some((w) => /removed CHECK constraint CONSTRAINT `c1` CHECK \(\(`id` > 0\)\):/.test(w)));
});

test('CREATE DATABASE encryption option and dump-header statements', () => {
  const db = toMaria("CREATE DATABASE /*!32312 IF NOT EXISTS*/ `pw` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci */ /*!80016 DEFAULT ENCRYPTION='N' */");
  assert.equal(db.sql, 'CREATE DATABASE /*!32312 IF NOT EXISTS*/ `pw` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_uca1400_nopad_ai_ci */');
  const gtid = toMaria("SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5'");
  assert.equal(gtid.sql, '');
  assert.match(gtid.rewrites[0]!, /GTID_PURGED/);
  assert.deepEqual(toMaria('SET @@SESSION.SQL_LOG_BIN= 0').rewrites, []);
  assert.equal(toMaria('/*!80000 SET SESSION sql_require_primary_key = 0 */').sql, '');
  throwsFlavor(() => toMaria("CREATE TABLE t (a int) ENGINE=InnoDB ENCRYPTION='Y'"), /ENCRYPTION/);
});

test('NDB and HeatWave-only options are removed; STATS_PERSISTENT stays (MariaDB has it)', () => {
  const r = toMaria('CREATE TABLE t (a int /*!50606 COLUMN_FORMAT FIXED */, b int COLUMN_FORMAT DYNAMIC) ENGINE=InnoDB STATS_PERSISTENT=0 SECONDARY_ENGINE=RAPID');
  assert.equal(r.sql, 'CREATE TABLE t (a int, b int) ENGINE=InnoDB STATS_PERSISTENT=0');
  assert.equal(r.rewrites.length, 3);
});

test('constructs with no MariaDB equivalent are refused by name', () => {
  throwsFlavor(() => toMaria('CREATE TABLE t (j json, KEY k ((cast(j->>\'$.a\' as char(9)))))'), /functional index/);
  throwsFlavor(() => toMaria('CREATE TABLE t (a int, b int, KEY k (a, (b + 1)))'), /functional index/);
  throwsFlavor(() => toMaria('CREATE TABLE t (a int /*!80099 FUTURE THING */)'), /80099/);
  throwsFlavor(() => toMaria('CREATE TABLE t (a text COLLATE utf8mb4_ja_0900_as_cs)'), /ja_0900/);
  try {
    toMaria('CREATE TABLE `ev` (j json, KEY k ((j->>\'$.a\')))');
  } catch (e) {
    assert.match((e as Error).message, /in table ev/);
  }
});

test('MariaDB dump to MySQL 8: sandbox line, collations, BLOB/TEXT and expression defaults, Aria options, check names', () => {
  const sb = toMysql('/*M!999999\\- enable the sandbox mode */ \n/*!40101 SET NAMES utf8mb4 */');
  assert.equal(sb.sql, '/*!40101 SET NAMES utf8mb4 */');
  const r = toMysql(
    'CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `b` text NOT NULL DEFAULT \'\',\n  `u` varchar(36) DEFAULT uuid(),\n  `ts` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),\n' +
      '  `n` int(11) DEFAULT 5,\n  `c` varchar(9) COLLATE utf8mb4_uca1400_ai_ci DEFAULT NULL,\n  `d` varchar(9) COLLATE utf8mb4_nopad_bin,\n  KEY `k` (`n`) IGNORED,\n  CONSTRAINT `CONSTRAINT_1` CHECK (`n` > 0)\n' +
      ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_nopad_ai_ci PAGE_CHECKSUM=1 TRANSACTIONAL=0',
  );
  assert.equal(
    r.sql,
    'CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `b` text NOT NULL DEFAULT (\'\'),\n  `u` varchar(36) DEFAULT (uuid()),\n  `ts` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),\n' +
      '  `n` int(11) DEFAULT 5,\n  `c` varchar(9) COLLATE utf8mb4_0900_ai_ci DEFAULT NULL,\n  `d` varchar(9) COLLATE utf8mb4_0900_bin,\n  KEY `k` (`n`) INVISIBLE,\n  CONSTRAINT `t_chk_1` CHECK (`n` > 0)\n' +
      ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci',
  );
  assert.ok(r.rewrites.some((w) => /PAD SPACE/.test(w)), 'uca1400_ai_ci (PAD SPACE) → 0900 (NO PAD) caveat');
});

test('MariaDB-only constructs are refused for MySQL 8', () => {
  throwsFlavor(() => toMysql('CREATE TABLE t (`id` uuid NOT NULL)'), /uuid/);
  throwsFlavor(() => toMysql('CREATE TABLE t (`ip` inet6 DEFAULT NULL)'), /inet6/);
  throwsFlavor(() => toMysql('CREATE SEQUENCE `s` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 1 cache 1000 nocycle ENGINE=InnoDB'), /SEQUENCE/);
  throwsFlavor(() => toMysql('CREATE TABLE t (a int) WITH SYSTEM VERSIONING'), /system versioning/);
  throwsFlavor(() => toMysql('CREATE TABLE t (a int) ENGINE=Aria PAGE_CHECKSUM=1 TRANSACTIONAL=1'), /Aria/);
});
