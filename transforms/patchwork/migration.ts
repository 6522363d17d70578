/**
 * What a Patchwork migration is to drydock, and the builder it plans with: a stand-in for Django's
 * schema editor that emits drydock steps instead of executing SQL, names constraints with Django's
 * rules and keeps the schema state (schema-state.ts) up to date, so each later migration sees the
 * schema as Django would have seen it at that point.
 *
 * The statements have the same shape as Django's (CREATE TABLE without constraints, then one
 * ALTER TABLE ... ADD CONSTRAINT per foreign key, CREATE INDEX after), because MariaDB's implicit
 * FK indexes take their names and places from that shape. Data moves are batched steps.
 */
import type { BatchedStep, DrivingTable, Step } from '../core/step.js';
import type { PlanContext } from '../core/pack.js';
import { qid, sqlLiteral } from '../../pipeline/db/connection.js';
import { checkName, fkConstraintName, indexName, uniqueName } from './django-names.js';
import type { SchemaState } from './schema-state.js';

export const APP = 'patchwork';

/** One of Patchwork's migrations, as steps. */
export interface PatchworkMigration {
  /** The django_migrations name, e.g. `0007_move_comment_content_to_patch_content`. */
  name: string;
  /** Adds this migration's steps. May ask the untouched database (ctx.query) for facts the plan needs. */
  plan(b: MigrationBuilder): void | Promise<void>;
}

const cols = (c: string[]) => c.map(qid).join(', ');
const IS = 'information_schema';
const tableExists = (t: string) => `SELECT 1 FROM ${IS}.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${sqlLiteral(t)}`;
const columnExists = (t: string, c: string, extra = '') =>
  `SELECT 1 FROM ${IS}.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${sqlLiteral(t)} AND COLUMN_NAME = ${sqlLiteral(c)}${extra}`;
const fkExists = (t: string, n: string) =>
  `SELECT 1 FROM ${IS}.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ${sqlLiteral(t)} AND CONSTRAINT_NAME = ${sqlLiteral(n)}`;
const indexExists = (t: string, n: string) =>
  `SELECT 1 FROM ${IS}.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${sqlLiteral(t)} AND INDEX_NAME = ${sqlLiteral(n)}`;
const constraintExists = (t: string, n: string) =>
  `SELECT 1 FROM ${IS}.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ${sqlLiteral(t)} AND CONSTRAINT_NAME = ${sqlLiteral(n)}`;
const not = (q: string) => `SELECT 1 FROM DUAL WHERE NOT EXISTS (${q})`;

export class MigrationBuilder {
  readonly steps: Step[] = [];
  private migration = '';
  private seq = 0;

  constructor(
    readonly state: SchemaState,
    readonly ctx: PlanContext,
    /** Names of patchwork migrations already applied in the untouched database. */
    readonly appliedBefore: ReadonlySet<string>,
  ) {}

  begin(name: string): void {
    this.migration = name;
    this.seq = 0;
  }

  private id(slug: string): string {
    this.seq += 1;
    return `${APP}.${this.migration}.${String(this.seq).padStart(2, '0')}-${slug}`;
  }

  private get mig(): string {
    return `${APP}.${this.migration}`;
  }

  /** One DDL statement per step: a step that is not transactional must be all-or-nothing to be safely re-run. */
  ddl(table: string, slug: string, title: string, statement: string, appliedWhen: string): void {
    this.steps.push({ kind: 'ddl', id: this.id(slug), title, migration: this.mig, table, statements: [statement], appliedWhen });
  }

  /** Django's create_model, minus the deferred SQL (add FKs and indexes with the calls below, in Django's order). */
  createModel(table: string, columns: Array<[string, string]>, opts: { primaryKey: string[]; uniqueColumns?: string[] }): void {
    const body = columns.map(([n, def]) => `${qid(n)} ${def}`).join(', ');
    this.ddl(table, `create-${table}`, `create table ${table}`, `CREATE TABLE ${qid(table)} (${body})`, tableExists(table));
    this.state.createTable(
      table,
      columns.map(([n]) => n),
      opts.primaryKey,
      (opts.uniqueColumns ?? []).map((c) => ({ name: c, columns: [c] })),
    );
  }

  renameTable(from: string, to: string): void {
    this.ddl(to, `rename-${from}`, `rename table ${from} to ${to}`, `RENAME TABLE ${qid(from)} TO ${qid(to)}`, `${tableExists(to)} AND NOT EXISTS (${tableExists(from)})`);
    this.state.renameTable(from, to);
  }

  /** The FK's name is Django's, from the table and column as they are now and the target as it is now. */
  addForeignKey(table: string, column: string, refTable: string, refColumn: string): string {
    const name = fkConstraintName(table, column, refTable, refColumn);
    this.ddl(
      table,
      `fk-${column}`,
      `add foreign key ${table}.${column} → ${refTable}.${refColumn}`,
      `ALTER TABLE ${qid(table)} ADD CONSTRAINT ${qid(name)} FOREIGN KEY (${qid(column)}) REFERENCES ${qid(refTable)} (${qid(refColumn)})`,
      fkExists(table, name),
    );
    this.state.addForeignKey(table, { name, columns: [column], refTable, refColumns: [refColumn] });
    return name;
  }

  /** Drops the FK on `column` under whatever name it has now; returns where it pointed. */
  dropForeignKeyOn(table: string, column: string): { refTable: string; refColumn: string } {
    const fk = this.state.requireForeignKey(table, column);
    this.ddl(table, `drop-fk-${column}`, `drop foreign key ${fk.name}`, `ALTER TABLE ${qid(table)} DROP FOREIGN KEY ${qid(fk.name)}`, not(fkExists(table, fk.name)));
    this.state.dropForeignKey(table, fk.name);
    return { refTable: fk.refTable, refColumn: fk.refColumns[0] ?? 'id' };
  }

  /** Re-points an FK (Django's _alter_field on a FK whose target changed: drop, then add under the new name). */
  repointForeignKey(table: string, column: string, refTable: string, refColumn: string): void {
    this.dropForeignKeyOn(table, column);
    this.addForeignKey(table, column, refTable, refColumn);
  }

  addColumn(table: string, column: string, def: string): void {
    this.ddl(table, `add-${column}`, `add column ${table}.${column}`, `ALTER TABLE ${qid(table)} ADD COLUMN ${qid(column)} ${def}`, columnExists(table, column));
    this.state.addColumn(table, column);
  }

  dropColumn(table: string, column: string): void {
    this.ddl(table, `drop-${column}`, `drop column ${table}.${column}`, `ALTER TABLE ${qid(table)} DROP COLUMN ${qid(column)}`, not(columnExists(table, column)));
    this.state.dropColumn(table, column);
  }

  /** CHANGE (rename and/or redefine). `appliedProbe` is an extra predicate on information_schema.COLUMNS for a pure redefinition. */
  changeColumn(table: string, from: string, to: string, def: string, appliedProbe?: string): void {
    const applied =
      from === to
        ? columnExists(table, to, appliedProbe ? ` AND ${appliedProbe}` : '')
        : `${columnExists(table, to)} AND NOT EXISTS (${columnExists(table, from)})`;
    this.ddl(
      table,
      from === to ? `modify-${to}` : `rename-${from}`,
      from === to ? `alter column ${table}.${to}` : `rename column ${table}.${from} to ${to}`,
      `ALTER TABLE ${qid(table)} CHANGE ${qid(from)} ${qid(to)} ${def}`,
      applied,
    );
    if (from !== to) this.state.renameColumn(table, from, to);
  }

  dropDefault(table: string, column: string): void {
    this.ddl(
      table,
      `drop-default-${column}`,
      `drop default of ${table}.${column}`,
      `ALTER TABLE ${qid(table)} ALTER COLUMN ${qid(column)} DROP DEFAULT`,
      columnExists(table, column, ' AND COLUMN_DEFAULT IS NULL'),
    );
  }

  /** unique_together entry, named as Django names it. */
  addUnique(table: string, columns: string[]): string {
    const name = uniqueName(table, columns);
    this.ddl(table, `unique-${columns.join('-')}`, `add unique ${name}`, `ALTER TABLE ${qid(table)} ADD CONSTRAINT ${qid(name)} UNIQUE (${cols(columns)})`, indexExists(table, name));
    this.state.addIndex(table, { name, columns, unique: true });
    return name;
  }

  /** A field's db_index. */
  createIndex(table: string, columns: string[]): string {
    const name = indexName(table, columns);
    this.ddl(table, `index-${columns.join('-')}`, `create index ${name}`, `CREATE INDEX ${qid(name)} ON ${qid(table)} (${cols(columns)})`, indexExists(table, name));
    this.state.addIndex(table, { name, columns, unique: false });
    return name;
  }

  /** Drops the unique index on exactly `columns` (a field losing unique=True, or a unique_together entry). */
  dropUniqueOn(table: string, columns: string[]): void {
    const idx = this.state.uniqueOn(table, columns);
    if (!idx) throw new Error(`schema state: no unique index on ${table} (${columns.join(', ')})`);
    this.ddl(table, `drop-unique-${columns.join('-')}`, `drop unique ${idx.name}`, `ALTER TABLE ${qid(table)} DROP INDEX ${qid(idx.name)}`, not(indexExists(table, idx.name)));
    this.state.dropIndex(table, idx.name);
  }

  /** A CHECK constraint Django adds when a field's check changes (e.g. a renamed PositiveIntegerField). */
  addCheck(table: string, column: string, expr: string): void {
    const name = checkName(table, column);
    this.ddl(table, `check-${column}`, `add check ${name}`, `ALTER TABLE ${qid(table)} ADD CONSTRAINT ${qid(name)} CHECK (${expr})`, constraintExists(table, name));
    this.state.addCheck(table, name);
  }

  /** A set-based data step, one key range of `driving` per batch. */
  batched(slug: string, title: string, op: BatchedStep['op'], driving: DrivingTable, target: string, sql: string, params?: unknown[]): void {
    // The runner walks the key it is given; at this point of the plan it must be the table's primary key.
    const pk = this.state.table(driving.table).primaryKey;
    if (pk.join() !== driving.key.join()) throw new Error(`${this.mig}: ${driving.table} is keyed by (${pk.join(', ')}) here, not (${driving.key.join(', ')})`);
    const step: BatchedStep = { kind: 'batched', id: this.id(slug), title, migration: this.mig, op, driving, target, sql };
    if (params) step.params = params;
    this.steps.push(step);
  }

  /** Django's AddIndex: a named index (Meta.indexes), created at once. */
  addNamedIndex(table: string, name: string, columns: string[]): void {
    this.ddl(table, `index-${name}`, `create index ${name}`, `CREATE INDEX ${qid(name)} ON ${qid(table)} (${cols(columns)})`, indexExists(table, name));
    this.state.addIndex(table, { name, columns, unique: false });
  }

  /** Django's RemoveIndex: drops a named index. */
  removeNamedIndex(table: string, name: string): void {
    this.ddl(table, `drop-index-${name}`, `drop index ${name}`, `DROP INDEX ${qid(name)} ON ${qid(table)}`, not(indexExists(table, name)));
    this.state.dropIndex(table, name);
  }

  /**
   * A unique_together entry removed. Django's MySQL editor first gives a leading FK column an index
   * of its own when none exists (the unique index may be the one the FK relies on, and MariaDB
   * refuses to drop that), then drops the unique index.
   */
  removeUniqueTogether(table: string, columns: string[]): void {
    const first = columns[0] ?? '';
    const s = this.state;
    if (s.foreignKeyOn(table, [first]) && !s.indexOn(table, [first]) && !s.uniqueOn(table, [first])) this.createIndex(table, [first]);
    this.dropUniqueOn(table, columns);
  }

  /** Django's delete_model: DROP TABLE ... CASCADE (the table's own FKs go with it). */
  dropTable(table: string): void {
    this.ddl(table, `drop-table-${table}`, `drop table ${table}`, `DROP TABLE ${qid(table)} CASCADE`, not(tableExists(table)));
    this.state.dropTable(table);
  }

  /**
   * Statements run once in one transaction; only for tables whose size does not grow with the data
   * (e.g. patchwork_state), never for the big tables, which take batched steps.
   */
  smallSql(slug: string, title: string, statements: string[], params?: unknown[][]): void {
    const step: Extract<Step, { kind: 'sql' }> = { kind: 'sql', id: this.id(slug), title, migration: this.mig, statements };
    if (params) step.params = params;
    this.steps.push(step);
  }

  /** The django_migrations row, written as Django writes it; idempotent so a resumed run never doubles it. */
  record(name: string): void {
    this.steps.push({
      kind: 'sql',
      id: this.id('record'),
      title: `record ${APP}.${name} in django_migrations`,
      migration: this.mig,
      statements: [
        `INSERT INTO django_migrations (app, name, applied) SELECT ${sqlLiteral(APP)}, ${sqlLiteral(name)}, NOW(6) FROM DUAL ` +
          `WHERE NOT EXISTS (SELECT 1 FROM django_migrations WHERE app = ${sqlLiteral(APP)} AND name = ${sqlLiteral(name)})`,
      ],
    });
  }
}

