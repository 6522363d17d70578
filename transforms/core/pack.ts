/**
 * A transform pack: what an application's migrations do, as drydock steps. The runner asks the
 * pack for a plan once, from the database as it is before anything runs, stores that plan with the
 * checkpoints, and on resume replays the stored plan (a half-migrated schema would plan differently).
 */
import type { SchemaSnapshot } from '../../pipeline/db/introspect.js';
import type { Step } from './step.js';

/** A row of django_migrations. */
export interface AppliedMigration {
  app: string;
  name: string;
}

export interface PlanOptions {
  /** Target version name (pack-specific, e.g. `2.1`, `3.x`); undefined = the latest. */
  to?: string;
  /** Patchwork: the state name given to patches whose state_id is NULL (the 0010 trap). */
  nullState?: string;
  /** Delete this project and everything that belongs to it. */
  dropProject?: string;
  /** Largest number of driving-table rows per batch; packs rarely need it (the runner batches). */
  batchRows: number;
}

/** Facts a pack may need beyond the schema, gathered by the runner with read-only queries before planning. */
export interface PlanContext {
  schema: SchemaSnapshot;
  applied: AppliedMigration[];
  options: PlanOptions;
  /** Answers a read-only query (e.g. counting NULL state_ids, resolving a project name to its id). */
  query(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
}

/** What the pack found the database to be. */
export interface Detection {
  /** Version name, e.g. `1.0`, or `unknown`. */
  version: string;
  /** Human-readable differences between the live schema and the expected schema of that version. */
  drift: string[];
}

/** A post-condition checked after the run (and before, to show it held). */
export interface Invariant {
  id: string;
  title: string;
  /** A query returning the violating rows (zero rows = holds). Bounded: LIMIT it. */
  sql: string;
}

export interface Pack {
  name: string;
  /** Version names in order, oldest first. */
  versions: string[];
  /** True when the database looks like this pack's application (e.g. django_migrations has app `patchwork`). */
  recognises(ctx: PlanContext): boolean;
  detect(ctx: PlanContext): Promise<Detection>;
  plan(ctx: PlanContext): Promise<Step[]>;
  invariants(ctx: PlanContext): Invariant[];
}
