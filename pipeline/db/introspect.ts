/**
 * What a database holds, read from information_schema and SHOW CREATE TABLE: the facts plans are
 * built from (keys to batch by, index and constraint names to rename or drop, row estimates).
 * A snapshot is plain data, so planning from it is pure.
 */
import type { Connection } from 'mysql2/promise';
import { qid, queryRows as rows } from './connection.js';

export interface ColumnInfo {
  name: string;
  /** Full column type, e.g. `varchar(255)`, `int(11)`. */
  type: string;
  nullable: boolean;
  default: string | null;
  extra: string;
  position: number;
}

export interface IndexInfo {
  name: string;
  unique: boolean;
  columns: string[];
}

export interface ForeignKeyInfo {
  name: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}

export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  /** Primary key columns, in order; empty when the table has none. */
  primaryKey: string[];
  indexes: IndexInfo[];
  foreignKeys: ForeignKeyInfo[];
  /** InnoDB's estimate (information_schema.TABLES.TABLE_ROWS): cheap, approximate. */
  rowEstimate: number;
  createSql: string;
}

export interface SchemaSnapshot {
  database: string;
  tables: Map<string, TableInfo>;
  views: string[];
}

/** Reads the schema of `database` (default: the connection's current database). */
export async function introspect(conn: Connection, database?: string): Promise<SchemaSnapshot> {
  const db = database ?? String((await rows(conn, 'SELECT DATABASE() AS d'))[0]?.['d'] ?? '');
  const tables = new Map<string, TableInfo>();
  const views: string[] = [];
  for (const t of await rows(conn, 'SELECT TABLE_NAME AS name, TABLE_TYPE AS type, TABLE_ROWS AS est FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [db])) {
    const name = String(t['name']);
    if (String(t['type']) === 'VIEW') {
      views.push(name);
      continue;
    }
    tables.set(name, { name, columns: [], primaryKey: [], indexes: [], foreignKeys: [], rowEstimate: Number(t['est'] ?? 0), createSql: '' });
  }
  for (const c of await rows(
    conn,
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS def, EXTRA AS extra, ORDINAL_POSITION AS pos
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [db],
  )) {
    tables.get(String(c['t']))?.columns.push({
      name: String(c['name']),
      type: String(c['type']),
      nullable: c['nullable'] === 'YES',
      default: c['def'] === null ? null : String(c['def']),
      extra: String(c['extra'] ?? ''),
      position: Number(c['pos']),
    });
  }
  const idx = new Map<string, IndexInfo>();
  for (const s of await rows(
    conn,
    `SELECT TABLE_NAME AS t, INDEX_NAME AS name, NON_UNIQUE AS nu, COLUMN_NAME AS col
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    [db],
  )) {
    const t = tables.get(String(s['t']));
    if (!t) continue;
    const key = `${t.name}\u0000${String(s['name'])}`;
    let i = idx.get(key);
    if (!i) {
      i = { name: String(s['name']), unique: Number(s['nu']) === 0, columns: [] };
      idx.set(key, i);
      if (i.name === 'PRIMARY') t.primaryKey = i.columns;
      else t.indexes.push(i);
    }
    i.columns.push(String(s['col']));
  }
  const fks = new Map<string, ForeignKeyInfo>();
  for (const k of await rows(
    conn,
    `SELECT k.TABLE_NAME AS t, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, k.REFERENCED_TABLE_NAME AS rt, k.REFERENCED_COLUMN_NAME AS rc,
            r.DELETE_RULE AS del, r.UPDATE_RULE AS upd
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
      WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    [db],
  )) {
    const t = tables.get(String(k['t']));
    if (!t) continue;
    const key = `${t.name}\u0000${String(k['name'])}`;
    let f = fks.get(key);
    if (!f) {
      f = { name: String(k['name']), columns: [], refTable: String(k['rt']), refColumns: [], onDelete: String(k['del']), onUpdate: String(k['upd']) };
      fks.set(key, f);
      t.foreignKeys.push(f);
    }
    f.columns.push(String(k['col']));
    f.refColumns.push(String(k['rc']));
  }
  for (const t of tables.values()) {
    const r = await rows(conn, `SHOW CREATE TABLE ${qid(db)}.${qid(t.name)}`);
    t.createSql = String(r[0]?.['Create Table'] ?? '');
  }
  return { database: db, tables, views };
}

/** Exact row count (use for verification, not planning: it scans). */
export async function countRows(conn: Connection, table: string): Promise<number> {
  const r = await rows(conn, `SELECT COUNT(*) AS n FROM ${qid(table)}`);
  return Number(r[0]?.['n'] ?? 0);
}

/** The key a batched step can walk: the primary key, else the first unique index over NOT NULL columns. */
export function walkableKey(t: TableInfo): string[] | undefined {
  if (t.primaryKey.length) return t.primaryKey;
  const notNull = new Set(t.columns.filter((c) => !c.nullable).map((c) => c.name));
  return t.indexes.find((i) => i.unique && i.columns.every((c) => notNull.has(c)))?.columns;
}
