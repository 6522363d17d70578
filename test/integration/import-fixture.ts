/**
 * Shared by the import tests (not a test file itself): a source schema with every statement form
 * mysqldump writes, the `mysql`/`mysqldump` clients as the reference, and a byte-exact comparison
 * of two databases.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ServerAddress } from '../../pipeline/db/url.js';
import { testDatabase, type TestDatabase } from '../helpers/db.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex');

/** 600 child rows, so that a small --net-buffer-length gives many INSERTs for one table. */
function childRows(): string {
  const rows: string[] = [];
  for (let i = 2; i <= 600; i++) {
    rows.push(`(${i}, ${(i % 5) + 1}, ${i % 3 === 0 ? 'NULL' : (i % 4) + 1}, 'row ${i} ünï', UNHEX('${Buffer.from([i % 256, 0, 39, 92, 10, 13, 26, 255 - (i % 256)]).toString('hex')}'), '2024-01-0${(i % 9) + 1} 10:00:00.${String(i).padStart(6, '0')}', ${i}.25)`);
  }
  return rows.join(',\n');
}

/** The source database, as the mysql client reads it (DELIMITER blocks and all). */
export const SOURCE_SQL = `
SET NAMES utf8mb4;
CREATE TABLE parent (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(50) NOT NULL,
  code CHAR(3) NOT NULL,
  UNIQUE KEY uq_code (code),
  KEY by_name (name)
) ENGINE=InnoDB COMMENT='Eltern – größer';
CREATE TABLE child (
  id BIGINT NOT NULL AUTO_INCREMENT,
  parent_id INT NOT NULL,
  other_id INT NULL,
  body TEXT,
  data BLOB,
  created DATETIME(6),
  amount DECIMAL(10,2),
  PRIMARY KEY (id),
  KEY z_created (created, amount),
  KEY child_parent (parent_id),
  KEY a_other (other_id),
  CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE,
  CONSTRAINT a_fk_other FOREIGN KEY (other_id) REFERENCES parent (id)
) ENGINE=InnoDB;
CREATE TABLE autoinc_secondary (
  k INT NOT NULL,
  id INT NOT NULL AUTO_INCREMENT,
  v VARCHAR(10),
  PRIMARY KEY (k, id),
  KEY id (id),
  KEY v (v)
) ENGINE=InnoDB;
CREATE TABLE nopk (a INT, b VARBINARY(10), KEY a (a), UNIQUE KEY b (b)) ENGINE=InnoDB;
CREATE TABLE aria_t (id INT PRIMARY KEY, v VARCHAR(10), KEY v (v)) ENGINE=Aria;
CREATE TABLE \`odd\`\`name\` (\`we;ird\` INT PRIMARY KEY, \`x\` INT, KEY \`x;\` (\`x\`)) ENGINE=InnoDB;
CREATE TABLE empty_t (id INT PRIMARY KEY, v INT, KEY v (v)) ENGINE=InnoDB;
CREATE TABLE ts_t (id INT PRIMARY KEY, t TIMESTAMP NULL) ENGINE=InnoDB;
-- Columns in another character set than the dump's SET NAMES: the server must convert.
CREATE TABLE latin_t (id INT PRIMARY KEY, v VARCHAR(20) CHARACTER SET latin1, w VARCHAR(20), KEY v (v)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO latin_t VALUES (1, 'Grüße ½', 'Grüße 😀'), (2, 'naïve', '日本');
INSERT INTO parent VALUES (1,'eins','abc'),(2,'zwei','d''e'),(3,'drei ✓','f;g'),(4,'vier','h\\\\i'),(5,'fünf','😀');
INSERT INTO child VALUES (1, 1, 2, 'Grüße, 😀 日本語 \\'quoted\\' "double" back\\\\slash', UNHEX('${ALL_BYTES}'), '2024-01-01 00:00:00.5', 1.5),
${childRows()};
INSERT INTO autoinc_secondary (k, v) VALUES (1,'a'),(1,'b'),(2,'c');
INSERT INTO nopk VALUES (1, UNHEX('00FF')),(NULL, NULL),(3, 'x;y');
INSERT INTO aria_t VALUES (1,'a'),(2,'b');
INSERT INTO \`odd\`\`name\` VALUES (1, 2);
SET time_zone = '+05:00';
INSERT INTO ts_t VALUES (1, '2024-06-01 12:00:00');
SET time_zone = SYSTEM;
CREATE VIEW v_parent AS SELECT p.id, p.name, COUNT(c.id) AS n FROM parent p LEFT JOIN child c ON c.parent_id = p.id GROUP BY p.id, p.name;
CREATE VIEW v_of_v AS SELECT * FROM v_parent WHERE n > 0;
SET sql_mode = 'STRICT_TRANS_TABLES';
-- Would change rows if it fired during the load: the client creates it after the rows.
CREATE TRIGGER trg_child_bi BEFORE INSERT ON child FOR EACH ROW SET NEW.body = CONCAT(NEW.body, '!');
SET sql_mode = DEFAULT;
DELIMITER ;;
CREATE PROCEDURE p_count(OUT n INT)
BEGIN
  SELECT COUNT(*) INTO n FROM child; -- a ; inside
  SELECT 'x;y' INTO @s;
END;;
CREATE FUNCTION f_plus(x INT) RETURNS INT DETERMINISTIC RETURN x + 1;;
CREATE EVENT ev_noop ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM empty_t WHERE id < 0;;
DELIMITER ;
`;

function clientArgs(a: ServerAddress): string[] {
  return [`--user=${a.user}`, ...(a.socket ? [`--socket=${a.socket}`] : [`--host=${a.host}`, `--port=${a.port}`])];
}

/** Loads SQL text or a file with the `mysql` client, as a user would. */
export async function loadWithClient(a: ServerAddress, input: string | { file: string }): Promise<void> {
  const opts = typeof input === 'string' ? { input } : { inputFile: input.file };
  await execa('mariadb', ['--no-defaults', ...clientArgs(a), a.database], opts);
}

/** mysqldump with routines, events and triggers; small extended INSERTs so tables span many. */
export async function dumpDatabase(a: ServerAddress, file: string, extra: string[] = []): Promise<void> {
  await execa('mariadb-dump', ['--no-defaults', ...clientArgs(a), '--routines', '--events', '--triggers', '--net-buffer-length=4096', ...extra, a.database], {
    stdout: { file },
  });
}

async function rows(db: TestDatabase, sql: string): Promise<Array<Record<string, unknown>>> {
  const [r] = (await db.conn.query(sql)) as [Array<Record<string, unknown>>, unknown];
  return r;
}

/** Same tables (byte-identical SHOW CREATE TABLE, same CHECKSUM TABLE), views, triggers, routines and events. */
export async function compareDatabases(expected: TestDatabase, actual: TestDatabase): Promise<void> {
  const list = async (db: TestDatabase) =>
    (await rows(db, `SELECT TABLE_NAME n, TABLE_TYPE t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE '\\_drydock%' ORDER BY TABLE_NAME`)).map(
      (r) => `${String(r['n'])}:${String(r['t'])}`,
    );
  const names = await list(expected);
  assert.deepEqual(await list(actual), names);
  for (const entry of names) {
    const [name, type] = entry.split(':') as [string, string];
    const q = '`' + name.replace(/`/g, '``') + '`';
    if (type === 'VIEW') {
      const e = await rows(expected, `SHOW CREATE VIEW ${q}`);
      const a = await rows(actual, `SHOW CREATE VIEW ${q}`);
      assert.deepEqual(a, e, `view ${name}`);
      continue;
    }
    const e = await rows(expected, `SHOW CREATE TABLE ${q}`);
    const a = await rows(actual, `SHOW CREATE TABLE ${q}`);
    assert.equal(a[0]?.['Create Table'], e[0]?.['Create Table'], `SHOW CREATE TABLE ${name}`);
    const ce = await rows(expected, `CHECKSUM TABLE ${q} EXTENDED`);
    const ca = await rows(actual, `CHECKSUM TABLE ${q} EXTENDED`);
    assert.equal(ca[0]?.['Checksum'], ce[0]?.['Checksum'], `CHECKSUM TABLE ${name}`);
  }
  const objects = async (db: TestDatabase) => ({
    triggers: await rows(
      db,
      'SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT, SQL_MODE, DEFINER, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION, ACTION_ORDER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY TRIGGER_NAME',
    ),
    routines: await rows(
      db,
      'SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION, SQL_MODE, DEFINER, IS_DETERMINISTIC, CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY ROUTINE_NAME',
    ),
    events: await rows(
      db,
      'SELECT EVENT_NAME, EVENT_DEFINITION, INTERVAL_VALUE, INTERVAL_FIELD, STATUS, SQL_MODE, TIME_ZONE, STARTS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY EVENT_NAME',
    ),
  });
  assert.deepEqual(await objects(actual), await objects(expected));
}

/** The dump's text, for tests that cut or corrupt it. */
export function readDump(file: string): Buffer {
  return readFileSync(file);
}

/** A dump file, its load by the mysql client (the reference) and an empty database for drydock. */
export interface DumpPair {
  dump: string;
  viaClient: TestDatabase;
  viaDrydock: TestDatabase;
  close(): Promise<void>;
}

/** Writes `text` as a dump, loads it with the mysql client into `<name>_client`, and makes `<name>` for drydock. */
export async function dumpPair(name: string, text: string | Buffer): Promise<DumpPair> {
  const dir = mkdtempSync(join(tmpdir(), `drydock-${name}-`));
  const dump = join(dir, 'dump.sql');
  writeFileSync(dump, text);
  const viaClient = await testDatabase(`${name}_client`);
  await loadWithClient(viaClient.address, { file: dump });
  const viaDrydock = await testDatabase(name);
  return {
    dump,
    viaClient,
    viaDrydock,
    close: async () => {
      await viaClient.close();
      await viaDrydock.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
