/**
 * The project purge (`--drop-project lkml`): deletes one Patchwork project and everything that
 * belongs to it, in batches, without touching anything that belongs to someone else.
 *
 * Why not the Django admin: it collects every related object in memory (OOM on lkml), and it
 * follows Django's `on_delete=CASCADE` everywhere, including the 1.0 `userprofile.primary_project`,
 * so users whose primary project was the purged one lost their profile and with it their maintainer
 * rights in other projects.
 *
 * The deletion graph is derived from the introspected foreign keys, not from a table list, so one
 * purge serves 1.0, 2.1 and 3.x. Rules (each a decision checked against Patchwork's models):
 * - A row BELONGS to the project (deleted) when it references the project row directly through any
 *   foreign key (2.1+ `series.project` is nullable but CASCADE: a project's series), or references a
 *   deleted row through a NOT NULL foreign key (comments, checks, tags, series-patches, bundle
 *   entries of deleted patches — even in another project's bundle, a link row means nothing without
 *   its patch — maintainer links to the project, ...).
 * - Rows of {@link KEPT_TABLES} are never deleted: people and catalogues outlive any project.
 * - A row that does not belong but references a deleted row through a nullable column gets NULL
 *   there (userprofile.primary_project, another project's patch in a deleted series, ...). Django
 *   would CASCADE some of these (e.g. `Event.patch`); only inconsistent data has them, and keeping
 *   the other project's row is the safe side.
 * - A NOT NULL reference from a kept table into deleted rows cannot be resolved: it is a blocker,
 *   and planning refuses when such rows exist.
 *
 * Children go before parents (the where of a child step reads its parents, which must still be
 * there), so the plan only deletes rows whose owners still exist, and the database's own FKs
 * (RESTRICT, or a CASCADE someone added) never fire. Every data step is a BatchedStep driven by the
 * table it writes, so a transaction touches at most --batch-rows rows.
 *
 * The plan first snapshots who had a profile and which maintainer links to OTHER projects exist into
 * {@link SNAPSHOT_TABLE}; it is kept after the run (export skips `_drydock*` tables) so the
 * invariants in purge-invariants.ts can compare the result against it, also in a later verify.
 */
import { ConfigError } from '../../pipeline/errors.js';
import type { ForeignKeyInfo, SchemaSnapshot, TableInfo } from '../../pipeline/db/introspect.js';
import { walkableKey } from '../../pipeline/db/introspect.js';
import { qid as q } from '../../pipeline/db/connection.js';
import type { PlanContext } from '../core/pack.js';
import type { BatchedStep, DdlStep, SqlStep, Step } from '../core/step.js';

export const PROJECT_TABLE = 'patchwork_project';
export const PROFILE_TABLE = 'patchwork_userprofile';
export const MAINTAINER_TABLE = 'patchwork_userprofile_maintainer_projects';
/** Written by the first steps of a purge, kept for the invariants (and a later verify). */
export const SNAPSHOT_TABLE = '_drydock_purge_snapshot';
/** Rows of these tables are never deleted by a purge, whatever references them. */
export const KEPT_TABLES: ReadonlySet<string> = new Set(['auth_user', 'patchwork_person', PROFILE_TABLE, 'patchwork_state', 'patchwork_tag']);

/** The project being purged. */
export interface PurgeProject {
  id: number;
  linkname: string;
}

/** A foreign key into deleted rows that the purge resolves by setting the referencing columns NULL. */
export interface NullAction {
  table: string;
  fk: ForeignKeyInfo;
  /** True when the table also loses rows (those are deleted, not updated). */
  tableDeleted: boolean;
}

/** A NOT NULL foreign key from a kept table into deleted rows: such rows make the purge impossible. */
export interface PurgeBlocker {
  table: string;
  fk: ForeignKeyInfo;
  /** SQL over alias `t` of `table` selecting the rows that block. */
  where: string;
}

export interface PurgeGraph {
  project: PurgeProject;
  /** Tables losing rows, children before parents; the project table is last. */
  deleteOrder: string[];
  /** The predicate (over alias `t`) selecting the rows of each deleted table that belong to the project. */
  owned: Map<string, string>;
  /** Per table, in the same order as the steps: the nullable references to clear. */
  nulls: NullAction[];
  blockers: PurgeBlocker[];
  /** The data steps of the purge proper (snapshot steps excluded), in order. */
  actions: PurgeAction[];
  steps: Step[];
}

/** One data step of the purge: a table's rows deleted, or one foreign key's columns set NULL. */
export interface PurgeAction {
  op: 'delete' | 'update';
  table: string;
  /** For `update`: the columns set NULL. */
  columns?: string[];
  step: BatchedStep;
}

const ALIAS = 't';

function col(alias: string, c: string): string {
  return `${q(alias)}.${q(c)}`;
}

function isInternal(table: string): boolean {
  return table.startsWith('_drydock');
}

function columnsNullable(t: TableInfo, fk: ForeignKeyInfo): boolean[] {
  return fk.columns.map((c) => t.columns.find((x) => x.name === c)?.nullable ?? false);
}

/** Step ids are checkpoint keys: readable, stable for a given project and schema. */
function stepId(p: PurgeProject, ...parts: string[]): string {
  return ['purge', p.linkname || String(p.id), ...parts].join(':');
}

/**
 * Derives what a purge of `project` does on this schema: which rows are deleted (and in what order),
 * which references are cleared, what blocks, and the steps doing it. Pure.
 * Throws ConfigError when the schema cannot be purged safely (no project table, a deleted table
 * without a key to batch by, an ownership cycle).
 */
export function planPurge(schema: SchemaSnapshot, project: PurgeProject): PurgeGraph {
  if (!Number.isSafeInteger(project.id)) throw new ConfigError(`project id ${String(project.id)} is not an integer`, { hint: 'this is a bug in the purge' });
  const root = schema.tables.get(PROJECT_TABLE);
  if (!root) throw new ConfigError(`database ${schema.database} has no ${PROJECT_TABLE} table: --drop-project needs a Patchwork database`, { hint: 'check the database given, or drop --drop-project' });
  const rootKey = root.primaryKey;
  if (rootKey.length !== 1) throw new ConfigError(`${PROJECT_TABLE} must have a one-column primary key (has: ${rootKey.join(', ') || 'none'})`, { hint: 'this schema is not one Patchwork makes' });
  const tables = [...schema.tables.values()].filter((t) => !isInternal(t.name)).sort((a, b) => a.name.localeCompare(b.name));

  // Which tables lose rows: the project table, then, to a fixpoint, every non-kept table with an ownership edge into one.
  const deleted = new Set<string>([PROJECT_TABLE]);
  const isOwnership = (t: TableInfo, fk: ForeignKeyInfo): boolean =>
    !KEPT_TABLES.has(t.name) && t.name !== PROJECT_TABLE && deleted.has(fk.refTable) && (fk.refTable === PROJECT_TABLE || columnsNullable(t, fk).every((n) => !n));
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of tables) {
      if (deleted.has(t.name)) continue;
      if (t.foreignKeys.some((fk) => isOwnership(t, fk))) {
        deleted.add(t.name);
        changed = true;
      }
    }
  }

  for (const t of tables) {
    for (const fk of t.foreignKeys) {
      if (fk.refTable === t.name && deleted.has(t.name)) {
        throw new ConfigError(`${t.name}.${fk.columns.join(',')} references its own table, which the purge deletes from; batches could split a row from its parent`, {
          hint: 'purging this schema is not supported; Patchwork has no such key at 1.0, 2.1 or 3.x',
        });
      }
    }
  }

  // Predicates: a row belongs when one of its ownership edges leads to a row that belongs. Built
  // recursively as correlated subqueries (an index lookup per driving row, not a materialised id list).
  const building = new Set<string>();
  const ownedPredicate = (table: string, alias: string, depth: number): string => {
    if (table === PROJECT_TABLE) return `${col(alias, rootKey[0]!)} = ${project.id}`;
    if (building.has(table)) {
      throw new ConfigError(`the tables ${[...building].join(' -> ')} -> ${table} own each other through NOT NULL foreign keys; no deletion order exists`, {
        hint: 'purging this schema is not supported',
      });
    }
    building.add(table);
    const t = schema.tables.get(table)!;
    const parts = t.foreignKeys.filter((fk) => isOwnership(t, fk)).map((fk) => referencesDeleted(fk, alias, depth));
    building.delete(table);
    return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
  };
  const referencesDeleted = (fk: ForeignKeyInfo, alias: string, depth: number): string => {
    if (fk.refTable === PROJECT_TABLE && fk.refColumns.length === 1 && fk.refColumns[0] === rootKey[0]) {
      return `${col(alias, fk.columns[0]!)} = ${project.id}`;
    }
    const a = `p${depth}`;
    const join = fk.columns.map((c, i) => `${col(a, fk.refColumns[i]!)} = ${col(alias, c)}`).join(' AND ');
    // A scalar subquery, not EXISTS: MariaDB turns EXISTS into a semi-join driven from the parent
    // side, which joins and sorts ALL the project's child rows for every batch's bound query
    // (quadratic on lkml). A scalar subquery stays a per-row primary-key lookup while the runner
    // walks the driving table in key order, so a step reads each driving row about once.
    return `1 = (SELECT 1 FROM ${q(fk.refTable)} AS ${q(a)} WHERE ${join} AND ${ownedPredicate(fk.refTable, a, depth + 1)} LIMIT 1)`;
  };

  const owned = new Map<string, string>();
  for (const name of deleted) owned.set(name, ownedPredicate(name, ALIAS, 1));

  const nulls: NullAction[] = [];
  const blockers: PurgeBlocker[] = [];
  for (const t of tables) {
    for (const fk of t.foreignKeys) {
      if (!deleted.has(fk.refTable) || isOwnership(t, fk) || fk.refTable === t.name) continue;
      if (columnsNullable(t, fk).every((n) => n)) nulls.push({ table: t.name, fk, tableDeleted: deleted.has(t.name) });
      else blockers.push({ table: t.name, fk, where: referencesDeleted(fk, ALIAS, 1) });
    }
  }

  // Order: every table that references a deleted table acts (deletes its rows, clears its
  // references) before that table loses rows. Kahn's algorithm, ties by name for a stable plan.
  const acting = new Set<string>([...deleted, ...nulls.map((n) => n.table)]);
  const before = new Map<string, Set<string>>(); // P -> tables that must act before P's delete
  for (const name of acting) before.set(name, new Set());
  for (const name of acting) {
    for (const fk of schema.tables.get(name)!.foreignKeys) {
      if (deleted.has(fk.refTable) && fk.refTable !== name) before.get(fk.refTable)!.add(name);
    }
  }
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < acting.size) {
    const ready = [...acting].filter((n) => !done.has(n) && [...before.get(n)!].every((c) => done.has(c))).sort();
    // The project table always goes last: everything references it.
    const next = ready.find((n) => n !== PROJECT_TABLE) ?? ready[0];
    if (next === undefined) {
      const stuck = [...acting].filter((n) => !done.has(n)).sort();
      throw new ConfigError(`no deletion order exists: foreign keys among ${stuck.join(', ')} form a cycle`, { hint: 'purging this schema is not supported' });
    }
    order.push(next);
    done.add(next);
  }

  const actions: PurgeAction[] = [];
  for (const name of order) {
    const t = schema.tables.get(name)!;
    if (deleted.has(name)) actions.push({ op: 'delete', table: name, step: deleteStep(t, project, owned.get(name)!) });
    for (const n of nulls.filter((x) => x.table === name)) {
      actions.push({ op: 'update', table: name, columns: n.fk.columns, step: nullStep(t, project, n, referencesDeleted(n.fk, ALIAS, 1), owned.get(name)) });
    }
  }
  return {
    project,
    deleteOrder: order.filter((n) => deleted.has(n)),
    owned,
    nulls: order.flatMap((name) => nulls.filter((x) => x.table === name)),
    blockers,
    actions,
    steps: [...snapshotSteps(schema, project), ...actions.map((a) => a.step)],
  };
}

function keyOf(t: TableInfo): string[] {
  const key = walkableKey(t);
  if (!key) {
    throw new ConfigError(`table ${t.name} has rows to purge but no primary key or unique NOT NULL key to batch by`, {
      hint: 'add a primary key to it before purging (Patchwork tables all have one)',
    });
  }
  return key;
}

function deleteStep(t: TableInfo, p: PurgeProject, where: string): BatchedStep {
  return {
    id: stepId(p, 'delete', t.name),
    title: t.name === PROJECT_TABLE ? `delete project ${p.linkname} (id ${p.id})` : `delete the rows of ${t.name} that belong to project ${p.linkname}`,
    kind: 'batched',
    op: 'delete',
    driving: { table: t.name, alias: ALIAS, key: keyOf(t), where },
    target: t.name,
    sql: `DELETE ${q(ALIAS)} FROM ${q(t.name)} AS ${q(ALIAS)} WHERE {range}`,
  };
}

/** The where of a NULL-ing update: references a deleted row, and the row itself is not deleted. */
export function nullWhere(refersDeleted: string, ownedWhere: string | undefined): string {
  // IS NOT TRUE, not NOT: a nullable ownership column (series.project_id NULL) makes the owned
  // predicate NULL, and NOT NULL would wrongly skip the row.
  return ownedWhere ? `${refersDeleted} AND (${ownedWhere}) IS NOT TRUE` : refersDeleted;
}

function nullStep(t: TableInfo, p: PurgeProject, n: NullAction, refersDeleted: string, ownedWhere: string | undefined): BatchedStep {
  const cols = n.fk.columns;
  return {
    id: stepId(p, 'null', t.name, cols.join(',')),
    title: `set ${t.name}.${cols.join(', ')} NULL where it references a ${n.fk.refTable} row of project ${p.linkname}`,
    kind: 'batched',
    op: 'update',
    driving: { table: t.name, alias: ALIAS, key: keyOf(t), where: nullWhere(refersDeleted, ownedWhere) },
    target: t.name,
    sql: `UPDATE ${q(t.name)} AS ${q(ALIAS)} SET ${cols.map((c) => `${col(ALIAS, c)} = NULL`).join(', ')} WHERE {range}`,
  };
}

/**
 * Steps recording, before anything is deleted, which users have a profile and which maintainer
 * links to other projects exist (plus the purged project's id), for the invariants.
 */
function snapshotSteps(schema: SchemaSnapshot, p: PurgeProject): Step[] {
  const s = q(SNAPSHOT_TABLE);
  const create: DdlStep = {
    id: stepId(p, 'snapshot', 'create'),
    title: `create ${SNAPSHOT_TABLE} (profiles and other projects' maintainer links before the purge)`,
    kind: 'ddl',
    table: SNAPSHOT_TABLE,
    // DROP first: a snapshot left by an earlier purge (of another project) must not mix in. A re-run
    // only repeats this before any copy step below has committed, so nothing recorded is lost.
    statements: [
      `DROP TABLE IF EXISTS ${s}`,
      `CREATE TABLE ${s} (
  kind VARCHAR(16) NOT NULL,
  user_id BIGINT NULL,
  userprofile_id BIGINT NULL,
  project_id BIGINT NULL,
  KEY kind_user (kind, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    ],
  };
  const project: SqlStep = {
    id: stepId(p, 'snapshot', 'project'),
    title: `record the purged project's id in ${SNAPSHOT_TABLE}`,
    kind: 'sql',
    statements: [`INSERT INTO ${s} (kind, project_id) VALUES ('project', ${p.id})`],
  };
  const steps: Step[] = [create, project];
  const profiles = schema.tables.get(PROFILE_TABLE);
  if (profiles) {
    steps.push({
      id: stepId(p, 'snapshot', 'profiles'),
      title: `record every user with a profile in ${SNAPSHOT_TABLE}`,
      kind: 'batched',
      op: 'copy',
      driving: { table: PROFILE_TABLE, alias: 'u', key: keyOf(profiles) },
      target: SNAPSHOT_TABLE,
      sql: `INSERT INTO ${s} (kind, user_id, userprofile_id) SELECT 'profile', ${col('u', 'user_id')}, ${col('u', 'id')} FROM ${q(PROFILE_TABLE)} AS ${q('u')} WHERE {range}`,
    });
    const links = schema.tables.get(MAINTAINER_TABLE);
    if (links) {
      steps.push({
        id: stepId(p, 'snapshot', 'maintainers'),
        title: `record every maintainer link to another project in ${SNAPSHOT_TABLE}`,
        kind: 'batched',
        op: 'copy',
        driving: { table: MAINTAINER_TABLE, alias: 'm', key: keyOf(links), where: `${col('m', 'project_id')} <> ${p.id}` },
        target: SNAPSHOT_TABLE,
        sql:
          `INSERT INTO ${s} (kind, user_id, userprofile_id, project_id) SELECT 'maintainer', ${col('u', 'user_id')}, ${col('m', 'userprofile_id')}, ${col('m', 'project_id')} ` +
          `FROM ${q(MAINTAINER_TABLE)} AS ${q('m')} JOIN ${q(PROFILE_TABLE)} AS ${q('u')} ON ${col('u', 'id')} = ${col('m', 'userprofile_id')} WHERE {range}`,
      });
    }
  }
  return steps;
}

type Query = PlanContext['query'];

/**
 * Finds the project by linkname, else by name. Throws ConfigError for an unknown or ambiguous name,
 * listing some existing linknames.
 */
export async function resolveProject(ctx: Pick<PlanContext, 'schema' | 'query'>, name: string): Promise<PurgeProject> {
  if (!ctx.schema.tables.has(PROJECT_TABLE)) {
    throw new ConfigError(`--drop-project ${name}: database ${ctx.schema.database} has no ${PROJECT_TABLE} table`, { hint: 'check that this is a Patchwork database' });
  }
  const find = async (column: 'linkname' | 'name') =>
    ctx.query(`SELECT id, linkname FROM ${q(PROJECT_TABLE)} WHERE ${q(column)} = ? ORDER BY id LIMIT 3`, [name]);
  let rows = await find('linkname');
  if (rows.length === 0) rows = await find('name');
  if (rows.length > 1) {
    throw new ConfigError(`--drop-project ${name}: ${rows.length} projects have that name (linknames ${rows.map((r) => String(r['linkname'])).join(', ')})`, {
      hint: 'give the linkname of the one to delete',
    });
  }
  const row = rows[0];
  if (!row) {
    const known = await ctx.query(`SELECT linkname FROM ${q(PROJECT_TABLE)} ORDER BY linkname LIMIT 8`);
    const total = Number((await ctx.query(`SELECT COUNT(*) AS n FROM ${q(PROJECT_TABLE)}`))[0]?.['n'] ?? 0);
    const list = known.map((r) => String(r['linkname'])).join(', ');
    throw new ConfigError(`--drop-project ${name}: no project has that linkname or name`, {
      hint: total ? `existing linknames include: ${list}${total > known.length ? `, … (${total} projects)` : ''}` : 'the database has no projects at all',
    });
  }
  return { id: Number(row['id']), linkname: String(row['linkname']) };
}

async function countWhere(query: Query, table: string, where: string): Promise<number> {
  const r = await query(`SELECT COUNT(*) AS n FROM ${q(table)} AS ${q(ALIAS)} WHERE ${where}`);
  return Number(r[0]?.['n'] ?? 0);
}

function describeBlocker(b: PurgeBlocker, rows: number): string {
  return `${rows} row(s) of ${b.table} reference deleted ${b.fk.refTable} rows through NOT NULL ${b.fk.columns.join(', ')} (${b.fk.name})`;
}

/**
 * The purge's steps, for a pack's plan or `migrate --steps`. Run them on the schema they were
 * planned from (before any migration of the same plan changes it).
 * Throws ConfigError for an unknown project, an unsupported schema, or rows that block.
 */
export async function purgeSteps(ctx: PlanContext, projectName: string): Promise<Step[]> {
  const project = await resolveProject(ctx, projectName);
  const g = planPurge(ctx.schema, project);
  const blocking: string[] = [];
  for (const b of g.blockers) {
    const n = await countWhere(ctx.query, b.table, b.where);
    if (n > 0) blocking.push(describeBlocker(b, n));
  }
  if (blocking.length) {
    throw new ConfigError(`cannot purge project ${project.linkname}: ${blocking.join('; ')}`, {
      hint: 'those rows are kept by design (people outlive projects) and their column cannot be NULL; fix or reassign them first',
    });
  }
  return g.steps;
}

/** What a purge will do to one table (or one column of it), counted before anything runs. */
export interface PurgeCount {
  table: string;
  /** Rows deleted. */
  delete: number;
  /** Rows whose `column` is set NULL. */
  update: number;
  /** Set on an update entry: the column(s) cleared, comma-separated. */
  column?: string;
  /** Rows that make the purge impossible (a NOT NULL reference from a kept table). */
  blocked?: number;
}

/**
 * Exact counts of what `purgeSteps` will delete and update, in step order: one entry per deleted
 * table, one per cleared column, one per blocker. COUNT queries only (they scan: run them on the
 * scratch server, as `drydock plan` does).
 */
export async function purgeCounts(ctx: PlanContext, projectName: string): Promise<PurgeCount[]> {
  const project = await resolveProject(ctx, projectName);
  const g = planPurge(ctx.schema, project);
  const out: PurgeCount[] = [];
  for (const a of g.actions) {
    const n = await countWhere(ctx.query, a.table, a.step.driving.where ?? '1=1');
    out.push(a.op === 'delete' ? { table: a.table, delete: n, update: 0 } : { table: a.table, delete: 0, update: n, column: (a.columns ?? []).join(',') });
  }
  for (const b of g.blockers) out.push({ table: b.table, delete: 0, update: 0, column: b.fk.columns.join(','), blocked: await countWhere(ctx.query, b.table, b.where) });
  return out;
}

/** The counts as a text table for `drydock plan --drop-project`. Ends with a newline. */
export function renderPurgeCounts(projectName: string, counts: readonly PurgeCount[]): string {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const rows = counts.map((c) => [
    c.table,
    c.column ?? '',
    c.blocked !== undefined ? '' : c.column !== undefined ? '' : fmt(c.delete),
    c.blocked !== undefined ? '' : c.column !== undefined ? `${fmt(c.update)} set NULL` : '',
    c.blocked !== undefined ? (c.blocked ? `BLOCKS: ${fmt(c.blocked)} rows` : 'none now (NOT NULL, kept)') : '',
  ]);
  const head = ['table', 'column', 'delete', 'update', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = new Set([2, 3]);
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const deleted = counts.reduce((n, c) => n + c.delete, 0);
  const updated = counts.reduce((n, c) => n + c.update, 0);
  const blocked = counts.reduce((n, c) => n + (c.blocked ?? 0), 0);
  const out = [`purge of project ${projectName}: ${fmt(deleted)} rows deleted, ${fmt(updated)} rows updated (references set NULL); users, persons and profiles are kept`, ''];
  out.push(line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line));
  if (blocked) out.push('', `${fmt(blocked)} row(s) block the purge: drydock migrate --drop-project will refuse until they are fixed`);
  return out.join('\n') + '\n';
}
