/**
 * Django's constraint and index naming on MySQL/MariaDB (django.db.backends.base.schema, 3.2),
 * reimplemented so the names drydock creates are byte-identical to the ones `manage.py migrate`
 * would create: later migrations (and the application's own future migrations) find constraints
 * by introspection, and a schema comparison against the reference is by name.
 */
import { createHash } from 'node:crypto';

/** connection.ops.max_name_length() for the MySQL backend. */
export const MYSQL_MAX_NAME_LENGTH = 64;

/** `names_digest(*args, length)`: md5 over the arguments' UTF-8 bytes, concatenated, hex, truncated. */
export function namesDigest(args: string[], length: number): string {
  const h = createHash('md5');
  for (const a of args) h.update(Buffer.from(a, 'utf8'));
  return h.digest('hex').slice(0, length);
}

/**
 * `_create_index_name(table, columns, suffix)`: `table_columns_hash+suffix` when it fits in 64
 * characters, else table and columns each cut to the same length around the hash (and the suffix
 * itself cut to a third of the limit).
 */
export function createIndexName(table: string, columns: string[], suffix = '', maxLength = MYSQL_MAX_NAME_LENGTH): string {
  let hashSuffix = `${namesDigest([table, ...columns], 8)}${suffix}`;
  const full = `${table}_${columns.join('_')}_${hashSuffix}`;
  if (full.length <= maxLength) return full;
  if (hashSuffix.length > maxLength / 3) hashSuffix = hashSuffix.slice(0, Math.floor(maxLength / 3));
  const other = Math.floor((maxLength - hashSuffix.length) / 2) - 1;
  let name = `${table.slice(0, other)}_${columns.join('_').slice(0, other)}_${hashSuffix}`;
  // Django prepends D for Oracle's sake on every backend.
  if (name.startsWith('_') || /^[0-9]/.test(name)) name = `D${name.slice(0, -1)}`;
  return name;
}

/** `_fk_constraint_name`: suffix `_fk_<to_table>_<to_column>`, hashed over the local table and column only. */
export function fkConstraintName(table: string, column: string, toTable: string, toColumn: string): string {
  return createIndexName(table, [column], `_fk_${toTable}_${toColumn}`);
}

/** The name of a `unique_together` constraint (`_create_unique_sql` → suffix `_uniq`). */
export function uniqueName(table: string, columns: string[]): string {
  return createIndexName(table, columns, '_uniq');
}

/** The name of a `db_index=True` field's index (`_create_index_sql`, no suffix). */
export function indexName(table: string, columns: string[]): string {
  return createIndexName(table, columns, '');
}

/** The name of a CHECK constraint Django adds in `_alter_field` (suffix `_check`). */
export function checkName(table: string, column: string): string {
  return createIndexName(table, [column], '_check');
}
