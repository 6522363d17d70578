/**
 * Compares a live database's tables with a reference mysqldump, table by table, on SHOW CREATE
 * TABLE text (only AUTO_INCREMENT=N is normalised away).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'mysql2/promise';
import { qid } from '../../pipeline/db/connection.js';
import { parseDumpTables, schemaDrift } from '../../transforms/patchwork/detect.js';

/**
 * The reference schemas live in the workplace's shared/ folder beside the checkout (CI lays a copy
 * there too); DRYDOCK_REFERENCE_DIR overrides. Missing references fail loudly: exactness tests
 * must never pass by skipping.
 */
export const REFERENCE_DIR = findReferenceDir();

function findReferenceDir(): string {
  const candidates = [
    process.env['DRYDOCK_REFERENCE_DIR'],
    fileURLToPath(new URL('../../../shared/reference', import.meta.url)),
    '/work/shared/reference',
  ].filter((d): d is string => !!d);
  const found = candidates.find((d) => existsSync(`${d}/steps`));
  if (!found) throw new Error(`Patchwork reference schemas not found (looked in ${candidates.join(', ')}); set DRYDOCK_REFERENCE_DIR`);
  return found;
}

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
