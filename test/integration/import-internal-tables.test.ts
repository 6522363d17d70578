/**
 * A dump of a database drydock once loaded can carry drydock's own bookkeeping tables
 * (`_drydock_import` after a reimport). Loading them would replace this import's own ledger
 * mid-run; they are skipped, and everything else loads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { skip, testDatabase } from '../helpers/db.js';
import { importDump } from '../../pipeline/stages/import.js';

const DUMP = `/*!40101 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS \`_drydock_import\`;
CREATE TABLE \`_drydock_import\` (\`table_name\` varchar(64) NOT NULL, PRIMARY KEY (\`table_name\`)) ENGINE=InnoDB;
INSERT INTO \`_drydock_import\` VALUES ('t');
DROP TABLE IF EXISTS \`t\`;
CREATE TABLE \`t\` (\`id\` int NOT NULL, \`v\` varchar(10) DEFAULT NULL, PRIMARY KEY (\`id\`), KEY \`v\` (\`v\`)) ENGINE=InnoDB;
INSERT INTO \`t\` VALUES (1,'a'),(2,'b');
`;

test("a dump's own _drydock tables are not loaded; the rest is", { skip }, async () => {
  const db = await testDatabase('t_import_internal');
  const tmp = mkdtempSync(join(tmpdir(), 'drydock-internal-'));
  try {
    const file = join(tmp, 'dump.sql');
    writeFileSync(file, DUMP);
    const r = await importDump({ address: db.address, dump: file, threads: 2 });
    assert.deepEqual(r.tables.map((t) => t.name), ['t']);
    const [rows] = await db.conn.query('SELECT COUNT(*) AS n FROM t');
    assert.equal(Number((rows as Array<{ n: number }>)[0]?.n), 2);
    const [ledger] = await db.conn.query("SELECT COUNT(*) AS n FROM _drydock_import WHERE table_name = 't'");
    assert.equal(Number((ledger as Array<{ n: number }>)[0]?.n), 1, "the import's own ledger, not the dump's");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    await db.close();
  }
});
