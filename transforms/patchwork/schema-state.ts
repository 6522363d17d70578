/**
 * A small model of the schema as the planned migrations evolve it. The pack plans once, from the
 * untouched database, so a migration that must name an existing constraint (Django finds them by
 * introspection at run time) asks this model instead: it starts from the introspected snapshot and
 * every planned DDL updates it.
 *
 * It mirrors the MariaDB behaviour that decides index names: an index InnoDB creates for a foreign
 * key is "generated"; adding another FK over the same columns renames it to the new constraint's
 * name, and a later index that covers its columns drops it. An index read from the snapshot is
 * never generated, because drydock's input is always a dump, and a dump spells every index out.
 */
import type { SchemaSnapshot } from '../../pipeline/db/introspect.js';

export interface StateIndex {
  name: string;
  columns: string[];
  unique: boolean;
  /** Created implicitly by InnoDB for a foreign key (see the file comment). */
  generated: boolean;
}

export interface StateForeignKey {
  name: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
}

export interface StateTable {
  name: string;
  /** Column names in table order. */
  columns: string[];
  primaryKey: string[];
  /** Secondary indexes (PRIMARY excluded). */
  indexes: StateIndex[];
  foreignKeys: StateForeignKey[];
  /** Named table-level CHECK constraints added by migrations. */
  checks: string[];
}

const sameCols = (a: string[], b: string[]) => a.length === b.length && a.every((c, i) => c === b[i]);
const isPrefix = (p: string[], of: string[]) => p.length <= of.length && p.every((c, i) => c === of[i]);

export class SchemaState {
  readonly tables = new Map<string, StateTable>();

  static fromSnapshot(s: SchemaSnapshot): SchemaState {
    const st = new SchemaState();
    for (const t of s.tables.values()) {
      st.tables.set(t.name, {
        name: t.name,
        columns: [...t.columns].sort((a, b) => a.position - b.position).map((c) => c.name),
        primaryKey: [...t.primaryKey],
        indexes: t.indexes.map((i) => ({ name: i.name, columns: [...i.columns], unique: i.unique, generated: false })),
        foreignKeys: t.foreignKeys.map((f) => ({ name: f.name, columns: [...f.columns], refTable: f.refTable, refColumns: [...f.refColumns] })),
        checks: [],
      });
    }
    return st;
  }

  has(table: string): boolean {
    return this.tables.has(table);
  }

  table(name: string): StateTable {
    const t = this.tables.get(name);
    if (!t) throw new Error(`schema state: no table ${name} (the plan expected it to exist at this point)`);
    return t;
  }

  hasColumn(table: string, column: string): boolean {
    return this.tables.get(table)?.columns.includes(column) ?? false;
  }

  /** The FK constraint on exactly `columns` (Django: `_constraint_names(model, [column], foreign_key=True)`). */
  foreignKeyOn(table: string, columns: string[]): StateForeignKey | undefined {
    return this.table(table).foreignKeys.find((f) => sameCols(f.columns, columns));
  }

  /** Like foreignKeyOn, but the plan cannot go on without it. */
  requireForeignKey(table: string, column: string): StateForeignKey {
    const fk = this.foreignKeyOn(table, [column]);
    if (!fk) throw new Error(`schema state: no foreign key on ${table}.${column}`);
    return fk;
  }

  /** The unique index on exactly `columns`. */
  uniqueOn(table: string, columns: string[]): StateIndex | undefined {
    return this.table(table).indexes.find((i) => i.unique && sameCols(i.columns, columns));
  }

  /** The non-unique index on exactly `columns`. */
  indexOn(table: string, columns: string[]): StateIndex | undefined {
    return this.table(table).indexes.find((i) => !i.unique && sameCols(i.columns, columns));
  }

  /** FKs elsewhere that reference `table`. */
  referencing(table: string): Array<{ table: string; fk: StateForeignKey }> {
    const out: Array<{ table: string; fk: StateForeignKey }> = [];
    for (const t of this.tables.values()) for (const fk of t.foreignKeys) if (fk.refTable === table) out.push({ table: t.name, fk });
    return out;
  }

  // ---- mutations: each mirrors what MariaDB does for the corresponding statement ----

  createTable(name: string, columns: string[], primaryKey: string[], uniques: Array<{ name: string; columns: string[] }> = []): void {
    if (this.tables.has(name)) throw new Error(`schema state: table ${name} already exists`);
    this.tables.set(name, {
      name,
      columns: [...columns],
      primaryKey: [...primaryKey],
      indexes: uniques.map((u) => ({ name: u.name, columns: [...u.columns], unique: true, generated: false })),
      foreignKeys: [],
      checks: [],
    });
  }

  renameTable(from: string, to: string): void {
    const t = this.table(from);
    this.tables.delete(from);
    t.name = to;
    this.tables.set(to, t);
    for (const o of this.tables.values()) for (const fk of o.foreignKeys) if (fk.refTable === from) fk.refTable = to;
  }

  dropTable(name: string): void {
    this.table(name);
    this.tables.delete(name);
  }

  addColumn(table: string, column: string, after?: string): void {
    const t = this.table(table);
    if (t.columns.includes(column)) throw new Error(`schema state: ${table}.${column} already exists`);
    if (after === undefined) t.columns.push(column);
    else t.columns.splice(t.columns.indexOf(after) + 1, 0, column);
  }

  /** MariaDB removes the column from every index and drops indexes left empty. */
  dropColumn(table: string, column: string): void {
    const t = this.table(table);
    if (t.foreignKeys.some((f) => f.columns.includes(column))) throw new Error(`schema state: ${table}.${column} is still in a foreign key; drop it first`);
    t.columns = t.columns.filter((c) => c !== column);
    for (const i of t.indexes) i.columns = i.columns.filter((c) => c !== column);
    t.indexes = t.indexes.filter((i) => i.columns.length > 0);
  }

  renameColumn(table: string, from: string, to: string): void {
    const t = this.table(table);
    const ren = (cols: string[]) => cols.map((c) => (c === from ? to : c));
    t.columns = ren(t.columns);
    t.primaryKey = ren(t.primaryKey);
    for (const i of t.indexes) i.columns = ren(i.columns);
    for (const f of t.foreignKeys) f.columns = ren(f.columns);
    for (const o of this.tables.values()) for (const f of o.foreignKeys) if (f.refTable === table) f.refColumns = ren(f.refColumns);
  }

  addForeignKey(table: string, fk: StateForeignKey): void {
    const t = this.table(table);
    if (t.foreignKeys.some((f) => f.name === fk.name)) throw new Error(`schema state: ${table} already has constraint ${fk.name}`);
    t.foreignKeys.push({ ...fk, columns: [...fk.columns], refColumns: [...fk.refColumns] });
    if (isPrefix(fk.columns, t.primaryKey)) return;
    const usedByOther = (i: StateIndex) => t.foreignKeys.some((f) => f.name !== fk.name && f.name === i.name);
    const explicit = t.indexes.find((i) => !i.generated && isPrefix(fk.columns, i.columns));
    if (explicit) return;
    // A generated index over the same columns that no other FK holds is renamed (and moves last).
    const gen = t.indexes.findIndex((i) => i.generated && sameCols(i.columns, fk.columns) && !usedByOther(i));
    if (gen >= 0) t.indexes.splice(gen, 1);
    else if (t.indexes.some((i) => isPrefix(fk.columns, i.columns))) return;
    t.indexes.push({ name: fk.name, columns: [...fk.columns], unique: false, generated: true });
  }

  /** The index InnoDB made for it stays. */
  dropForeignKey(table: string, name: string): void {
    const t = this.table(table);
    const n = t.foreignKeys.length;
    t.foreignKeys = t.foreignKeys.filter((f) => f.name !== name);
    if (t.foreignKeys.length === n) throw new Error(`schema state: ${table} has no constraint ${name}`);
  }

  /** A new index that covers a generated FK index makes MariaDB drop the generated one. */
  addIndex(table: string, index: { name: string; columns: string[]; unique: boolean }): void {
    const t = this.table(table);
    if (t.indexes.some((i) => i.name === index.name)) throw new Error(`schema state: ${table} already has index ${index.name}`);
    t.indexes = t.indexes.filter((i) => !(i.generated && isPrefix(i.columns, index.columns)));
    t.indexes.push({ name: index.name, columns: [...index.columns], unique: index.unique, generated: false });
  }

  dropIndex(table: string, name: string): void {
    const t = this.table(table);
    const n = t.indexes.length;
    t.indexes = t.indexes.filter((i) => i.name !== name);
    if (t.indexes.length === n) throw new Error(`schema state: ${table} has no index ${name}`);
  }

  addCheck(table: string, name: string): void {
    this.table(table).checks.push(name);
  }
}
