/**
 * The transform packs drydock knows, and the choice of one: `--pack NAME`, `--pack none`, or (the
 * default) the pack that recognises the database from what it shows itself (django_migrations).
 */
import type { Connection } from 'mysql2/promise';
import { ConfigError } from './errors.js';
import { introspect } from './db/introspect.js';
import { qid } from './db/connection.js';
import type { Pack, PlanContext, PlanOptions, AppliedMigration } from '../transforms/core/pack.js';
import { patchworkPack } from '../transforms/patchwork/pack.js';

export const PACKS: Readonly<Record<string, Pack>> = Object.freeze({ patchwork: patchworkPack });

/** Reads what a pack needs to recognise a database (read-only). */
export async function recognitionContext(conn: Connection, database: string, options: PlanOptions): Promise<PlanContext> {
  const schema = await introspect(conn, database);
  let applied: AppliedMigration[] = [];
  if (schema.tables.has('django_migrations')) {
    const [rows] = await conn.query(`SELECT app, name FROM ${qid(database)}.django_migrations ORDER BY id`);
    applied = (rows as Array<{ app: string; name: string }>).map((r) => ({ app: String(r.app), name: String(r.name) }));
  }
  return {
    schema,
    applied,
    options,
    async query(sql, params = []) {
      const [rows] = await conn.query(sql, params);
      return rows as Array<Record<string, unknown>>;
    },
  };
}

/**
 * The pack to use, or undefined for none. An explicit name that does not exist, or a database no
 * pack recognises while a pack-only option (--to, --null-state, --drop-project) was given, is refused.
 */
export function choosePack(ctx: PlanContext, name: string | undefined): Pack | undefined {
  if (name === 'none') return undefined;
  if (name !== undefined) {
    const p = PACKS[name];
    if (!p) throw new ConfigError(`unknown pack '${name}'`, { hint: `use one of: ${Object.keys(PACKS).join(', ')}, or none` });
    return p;
  }
  const found = Object.values(PACKS).find((p) => p.recognises(ctx));
  const o = ctx.options;
  if (!found && (o.to !== undefined || o.nullState !== undefined || o.dropProject !== undefined)) {
    const apps = [...new Set(ctx.applied.map((a) => a.app))];
    throw new ConfigError(`no transform pack recognises this database (django_migrations apps: ${apps.join(', ') || 'none'})`, {
      hint: `name one with --pack (${Object.keys(PACKS).join(', ')}), or use --sql FILE for a raw SQL migration`,
    });
  }
  return found;
}
