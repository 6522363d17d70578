/**
 * The simplest possible step executor: every statement once, in order, batched steps over the whole
 * driving table at once (`{range}` → the driving filter or `1=1`). It is the reference the real
 * runner's batched result is compared with, and lets pack tests run without the runner.
 */
import type { Connection } from 'mysql2/promise';
import { RANGE_PLACEHOLDER, type Step } from '../../transforms/core/step.js';

export async function runStepsUnbatched(conn: Connection, steps: Step[]): Promise<void> {
  for (const s of steps) {
    try {
      if (s.kind === 'batched') {
        const range = s.driving.where ? `(${s.driving.where})` : '1=1';
        await conn.query(s.sql.replace(RANGE_PLACEHOLDER, range), s.params ?? []);
      } else if (s.kind === 'ddl') {
        for (const sql of s.statements) await conn.query(sql);
      } else {
        for (const [i, sql] of s.statements.entries()) await conn.query(sql, s.params?.[i] ?? []);
      }
    } catch (err) {
      throw new Error(`step ${s.id} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
