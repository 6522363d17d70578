/**
 * A table's exact row count and a digest of its rows, computed in short statements.
 *
 * `COUNT(*)` and `CHECKSUM TABLE` read a whole table in one statement: at kernel.org's scale that
 * is minutes, long enough for a proxy's idle timeout (haproxy's five minutes in the postmortem) to
 * cut the connection, and on production. This walks the primary key in keyset chunks of at most
 * `chunkRows` rows, like the migration runner, and aggregates each chunk in its own statement:
 * `COUNT(*)` and `BIT_XOR(CRC32(row))`. XOR is order-free, so the chunk results combine into the
 * digest of the whole table whatever the chunking, and the export (on the scratch server) and the
 * reimport (on production) can compare it.
 *
 * The row's text is every column's bytes (`CAST(col AS BINARY)`, so no character set conversion
 * can fail or differ) joined by CONCAT_WS, plus one flag per column telling NULL from ''. Values
 * are printed by the server, so digests compare between servers of one flavor (MariaDB with
 * MariaDB); MySQL formats some floating point values differently.
 */
import type { Connection } from 'mysql2/promise';
import { boundFromRow, nextBoundQuery, rangePredicate, type KeyTuple } from '../../transforms/core/range.js';
import type { DrivingTable } from '../../transforms/core/step.js';
import { qid, queryRows } from './connection.js';
import type { TableInfo } from './introspect.js';

/** Rows per digest statement: about a second of reading on a busy server. */
export const DIGEST_CHUNK_ROWS = 20_000;

export interface TableDigest {
  rows: number;
  /** 8 hex digits: the XOR of every row's CRC32. */
  digest: string;
  /** Statements that aggregated rows (for tests and progress). */
  chunks: number;
}

/** The per-row expression: CRC32 of the row's bytes and NULL flags. */
export function rowHashSql(alias: string, columns: readonly string[]): string {
  const cols = columns.map((c) => `${qid(alias)}.${qid(c)}`);
  const values = cols.map((c) => `CAST(${c} AS BINARY)`);
  const nulls = `CONCAT(${cols.map((c) => `ISNULL(${c})`).join(', ')})`;
  return `CRC32(CONCAT_WS(CHAR(31), ${[...values, nulls].join(', ')}))`;
}

/**
 * Count and digest of `database`.`table` (its keys and columns as introspect() read them), or
 * undefined when the table has no primary key to walk (the caller then falls back to whole-table
 * statements).
 */
export async function tableDigest(
  c: Connection,
  database: string,
  table: Pick<TableInfo, 'name' | 'primaryKey' | 'columns'>,
  opts: { chunkRows?: number; signal?: AbortSignal } = {},
): Promise<TableDigest | undefined> {
  const chunkRows = opts.chunkRows ?? DIGEST_CHUNK_ROWS;
  if (table.primaryKey.length === 0 || table.columns.length === 0) return undefined;
  const d: DrivingTable = { table: table.name, database, alias: 't', key: [...table.primaryKey] };
  const hash = rowHashSql('t', table.columns.map((col) => col.name));
  let after: KeyTuple | null = null;
  let count = 0;
  let digest = 0;
  let chunks = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const bound = nextBoundQuery(d, after, chunkRows);
    const upTo = boundFromRow(d, (await queryRows(c, bound.sql, bound.params))[0]);
    const where = rangePredicate(d, { after, upTo });
    const [agg] = await queryRows<{ n: unknown; x: unknown }>(
      c,
      `SELECT COUNT(*) AS n, BIT_XOR(${hash}) AS x FROM ${qid(database)}.${qid(table.name)} AS ${qid('t')} WHERE ${where.sql}`,
      where.params,
    );
    chunks++;
    count += Number(agg?.n ?? 0);
    digest = (digest ^ Number(agg?.x ?? 0)) >>> 0;
    if (upTo === null) break;
    after = upTo;
  }
  return { rows: count, digest: digest.toString(16).padStart(8, '0'), chunks };
}
