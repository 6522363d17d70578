/**
 * The Patchwork pack: Patchwork's own migrations 0003..0046 (1.0 → 2.1 → 3.x), as drydock steps that leave exactly the schema and django_migrations
 * rows Django would, with every data move batched.
 *
 * plan() runs once, on the untouched database: the schema state (schema-state.ts) carries the
 * names each migration creates on to the next, so nothing is re-introspected mid-run.
 */
import type { Pack, PlanContext } from '../core/pack.js';
import type { Step } from '../core/step.js';
import { ConfigError } from '../../pipeline/errors.js';
import { appliedPatchwork, detect, VERSION_LAST_MIGRATION } from './detect.js';
import { INVARIANTS_2_1 } from './invariants.js';
import { FIRST_3X_INVARIANT_MIGRATION, INVARIANTS_3X } from './invariants-3x.js';
import { APP, MigrationBuilder } from './migration.js';
import { BASELINE, migrations } from './migrations/index.js';
import { SchemaState } from './schema-state.js';
import { purgeSteps } from './purge.js';
import { fkOrphanInvariants, purgeInvariants } from './purge-invariants.js';

export const VERSIONS = ['1.0', '2.1', '3.x'];

const ALL_NAMES: string[] = [...BASELINE, ...migrations.map((m) => m.name)];

/**
 * The index in ALL_NAMES of the last migration to apply. `to` is a version name, a migration
 * name, or its number (`0010`); undefined is the last migration the pack knows.
 */
export function targetIndex(to: string | undefined): number {
  if (to === undefined) return ALL_NAMES.length - 1;
  const byVersion = VERSION_LAST_MIGRATION[to];
  const name = byVersion ?? ALL_NAMES.find((n) => n === to || n.startsWith(`${to}_`));
  const i = name === undefined ? -1 : ALL_NAMES.indexOf(name);
  if (i < 0) {
    throw new ConfigError(
      byVersion ? `Patchwork ${to} needs migration ${byVersion}, which this pack does not have yet` : `unknown Patchwork target ${JSON.stringify(to)}`,
      { hint: `use one of the versions ${VERSIONS.filter((v) => ALL_NAMES.includes(VERSION_LAST_MIGRATION[v] ?? '')).join(', ')} or a migration from ${ALL_NAMES[0]} to ${ALL_NAMES.at(-1)}` },
    );
  }
  return i;
}

/** The index of the first migration not applied yet, after checking the applied ones are a known prefix. */
export function firstPending(applied: string[]): number {
  const set = new Set(applied);
  const unknown = applied.filter((n) => !ALL_NAMES.includes(n));
  if (unknown.length) {
    throw new ConfigError(`the database has Patchwork migrations this pack does not know: ${unknown.join(', ')}`, {
      hint: 'it is newer than the pack supports; use a drydock with those migrations',
    });
  }
  const first = ALL_NAMES.findIndex((n) => !set.has(n));
  if (first < BASELINE.length && first >= 0) {
    throw new ConfigError(`the database is not Patchwork 1.0 or later: ${ALL_NAMES[first]} is not applied`, {
      hint: 'upgrade it to Patchwork 1.0 with its own manage.py migrate first',
    });
  }
  if (first < 0) return ALL_NAMES.length;
  const later = ALL_NAMES.slice(first).filter((n) => set.has(n));
  if (later.length) {
    throw new ConfigError(`Patchwork migrations are applied out of order: ${later.join(', ')} without ${ALL_NAMES[first]}`, {
      hint: 'repair django_migrations (or the schema) so that the applied migrations form an unbroken sequence',
    });
  }
  return first;
}

/** `--drop-project` without `--to` purges only: deleting a project must not also upgrade the database by surprise. */
function purgeOnly(ctx: PlanContext): boolean {
  return ctx.options.dropProject !== undefined && ctx.options.to === undefined;
}

export const patchworkPack: Pack = {
  name: 'patchwork',
  versions: VERSIONS,

  recognises(ctx: PlanContext): boolean {
    return ctx.applied.some((a) => a.app === APP) || ctx.schema.tables.has('patchwork_project');
  },

  detect,

  async plan(ctx: PlanContext): Promise<Step[]> {
    const applied = appliedPatchwork(ctx.applied);
    const first = firstPending(applied);
    const last = targetIndex(ctx.options.to);
    if (last < first - 1) {
      throw new ConfigError(`the database is already past ${ALL_NAMES[last]} (it has ${ALL_NAMES[first - 1]})`, {
        hint: 'Django migrations only go forward here; choose a later --to',
      });
    }
    // The purge is planned from the untouched schema, so it runs first: its SQL names the input's
    // tables, and the migrations then move only what is kept.
    const purge = ctx.options.dropProject ? await purgeSteps(ctx, ctx.options.dropProject) : [];
    if (purgeOnly(ctx)) return purge;
    const b = new MigrationBuilder(SchemaState.fromSnapshot(ctx.schema), ctx, new Set(applied));
    for (const m of migrations.slice(first - BASELINE.length, last - BASELINE.length + 1)) {
      b.begin(m.name);
      await m.plan(b);
      b.record(m.name);
    }
    return [...purge, ...b.steps];
  },

  invariants(ctx: PlanContext) {
    // No row may reference a missing parent: foreign keys are added without re-checking (see the runner).
    const purge = ctx.options.dropProject ? purgeInvariants(ctx.schema) : fkOrphanInvariants(ctx.schema);
    if (purgeOnly(ctx)) return purge;
    const last = targetIndex(ctx.options.to);
    // Each list queries the tables of its own era: 0042/0043 fold patchwork_submission away.
    const version = last >= ALL_NAMES.indexOf(FIRST_3X_INVARIANT_MIGRATION) ? INVARIANTS_3X : last >= ALL_NAMES.indexOf(VERSION_LAST_MIGRATION['2.1'] ?? '') ? INVARIANTS_2_1 : [];
    return [...version, ...purge];
  },
};

export default patchworkPack;
