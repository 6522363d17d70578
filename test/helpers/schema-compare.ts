/**
 * Compares a live database's tables with a reference mysqldump, table by table, on SHOW CREATE
 * TABLE text (only AUTO_INCREMENT=N is normalised away).
 */
import { readFileSync } from 'node:fs';
import type { Connection } from 'mysql2/promise';
import { qid } from '../../pipeline/db/connection.js';
import { parseDumpTables, schemaDrift } from '../../transforms/patchwork/detect.js';

export const REFERENCE_DIR = '/work/shared/reference';

/** CREATE TABLE text of every table in the reference file. */
export function referenceTables(file: string): Map<string, string> {
  return parseDumpTables(readFileSync(file, 'utf8'));
}

/** SHOW CREATE TABLE of every base table in the connection's database. */
export async function liveTables(conn: Connection): Promise<Map<string, string>> {
  const [rows] = await conn.query("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME");
  const out = new Map<string, string>();
  for (const r of rows as Array<{ t: string }>) {
    const [c] = await conn.query(`SHOW CREATE TABLE ${qid(r.t)}`);
    out.set(r.t, String((c as Array<Record<string, unknown>>)[0]?.['Create Table'] ?? ''));
  }
  return out;
}

/** Human-readable differences of the `prefix` tables; empty when equal. */
export async function compareWithReference(conn: Connection, file: string, prefix = 'patchwork_'): Promise<string[]> {
  return schemaDrift(referenceTables(file), await liveTables(conn), prefix);
}
