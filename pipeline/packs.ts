/**
 * The transform packs drydock knows, and the choice of one: `--pack NAME`, `--pack none`, or (the
 * default) the pack that recognises the database from what it shows itself (django_migrations).
 */
import { ConfigError } from './errors.js';
import type { Pack, PlanContext } from '../transforms/core/pack.js';
import { patchworkPack } from '../transforms/patchwork/pack.js';

export const PACKS: Readonly<Record<string, Pack>> = Object.freeze({ patchwork: patchworkPack });

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
