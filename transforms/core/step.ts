/**
 * The step model: a migration is a list of steps, and a step is plain data. Building a step's SQL
 * needs no connection, so plans are unit tested without a server; the runner
 * (pipeline/stages/migrate.ts) owns order, batching, checkpoints and reporting.
 */

/** The table whose primary-key ranges drive a batched step. */
export interface DrivingTable {
  table: string;
  /** The table's database when it is not the connection's (e.g. reimport's staging database). */
  database?: string;
  /** Alias used for the driving table inside `sql` (the range predicate is written against it). */
  alias: string;
  /** Key columns, in order; must be the primary key or a unique NOT NULL key. Composite and string keys are allowed. */
  key: string[];
  /**
   * Optional filter on the driving table (SQL over `alias`), e.g. `p.project_id = 7`.
   * Range planning only counts rows that match it, so a batch holds at most `batchRows` matching rows.
   */
  where?: string;
}

interface StepBase {
  /** Unique, stable id; checkpoints are keyed by it, so never renumber a released pack. */
  id: string;
  /** One line for the plan and the progress display. */
  title: string;
  /** The migration this step belongs to, e.g. `patchwork.0007_move_comment_content_to_patch_content`. */
  migration?: string;
}

/** Schema change. Not transactional: it is recorded as done only after it completed, and must be safe to re-run. */
export interface DdlStep extends StepBase {
  kind: 'ddl';
  /** The table altered (for the plan, for merging). */
  table: string;
  /** The statements, run in order. Consecutive ALTER TABLEs on one table may be merged by the planner. */
  statements: string[];
  /**
   * A query returning at least one row when the step's effect is already present. The runner asks it
   * before running the step after a crash, so a DDL that completed but was not yet recorded is not re-run.
   */
  appliedWhen?: string;
}

/**
 * Set-based data change run inside the server, one primary-key range of the driving table per batch,
 * each batch its own short transaction. `sql` holds the placeholder `{range}`, which the runner
 * replaces by the range predicate over `driving.alias` (and `driving.where`, when given).
 * Kinds: `copy` (INSERT ... SELECT), `update` (UPDATE, also multi-table UPDATE ... JOIN), `delete`.
 */
export interface BatchedStep extends StepBase {
  kind: 'batched';
  op: 'copy' | 'update' | 'delete';
  driving: DrivingTable;
  /** The table written (for the plan); for `copy` the target, for `update`/`delete` usually the driving table. */
  target: string;
  sql: string;
  /** Positional parameters of `sql`, if any (the range predicate's own parameters are added by the runner). */
  params?: unknown[];
}

/** Anything else, run once as is. Only for statements whose cost does not grow with table size. */
export interface SqlStep extends StepBase {
  kind: 'sql';
  statements: string[];
  params?: unknown[][];
  /** Set when the statement touches a number of rows that grows with data (only allowed with --allow-unbatched). */
  unbatched?: { table: string; reason: string };
}

export type Step = DdlStep | BatchedStep | SqlStep;

/** Placeholder a batched step's SQL must contain exactly once. */
export const RANGE_PLACEHOLDER = '{range}';
