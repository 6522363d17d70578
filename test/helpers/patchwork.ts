/** Shared set-up of the Patchwork pack's integration tests: load a dump, plan, run the plan as one statement per step. */
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import { connectionOptions } from '../../pipeline/db/connection.js';
import { planContext as packContext } from '../../pipeline/stages/migrate.js';
import type { PlanContext, PlanOptions } from '../../transforms/core/pack.js';
import { patchworkPack } from '../../transforms/patchwork/pack.js';
import type { TestDatabase } from './db.js';
import { runStepsUnbatched } from './run-steps-unbatched.js';

export const EXAMPLE = new URL('../../examples/patchwork-1.0-small.sql', import.meta.url);
export type Row = Record<string, unknown>;

export async function rows(conn: Connection, sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await conn.query(sql, params))[0] as Row[];
}

/** Loads dump files into the test database (a fresh one) through a multi-statement connection; test files are small. */
export async function load(db: TestDatabase, ...files: Array<string | URL>): Promise<void> {
  await db.reset();
  const c = await mysql.createConnection({ ...connectionOptions(db.address), multipleStatements: true });
  try {
    for (const f of files) await c.query(readFileSync(f, 'utf8'));
  } finally {
    await c.end();
  }
}

/** The context the runner gives a pack, built the way the CLI builds it. */
export async function planContext(conn: Connection, options: Omit<PlanOptions, 'batchRows'>): Promise<PlanContext> {
  const [r] = await conn.query('SELECT DATABASE() AS d');
  return packContext(conn, String((r as Row[])[0]?.['d']), { ...options, batchRows: 1000 });
}

export async function planAndRun(db: TestDatabase, options: Omit<PlanOptions, 'batchRows'>): Promise<void> {
  await runStepsUnbatched(db.conn, await patchworkPack.plan(await planContext(db.conn, options)));
}
