/**
 * Which Patchwork a database is, read from django_migrations, and how its schema differs from the
 * schema that version should have (the reference dumps shipped in schema/).
 */
import { readFile } from 'node:fs/promises';
import type { AppliedMigration, Detection, PlanContext } from '../core/pack.js';
import { APP } from './migration.js';

/** Each named version and the last Patchwork migration it includes. */
export const VERSION_LAST_MIGRATION: Readonly<Record<string, string>> = {
  '1.0': '0002_fix_patch_state_default_values',
  '2.1': '0026_add_user_bundles_backref',
  '3.x': '0046_patch_comment_events',
};

/** CREATE TABLE statements of a mysqldump, by table name. */
export function parseDumpTables(sql: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of sql.matchAll(/^CREATE TABLE `([^`]+)` \([\s\S]*?\n\)[^;\n]*;?$/gm)) {
    out.set(m[1] ?? '', m[0].replace(/;$/, ''));
  }
  return out;
}

/** What may differ between two equal schemas: the AUTO_INCREMENT counter. */
export function normaliseCreate(sql: string): string {
  return sql.replace(/ AUTO_INCREMENT=\d+/, '').trim();
}

/** Differences of the patchwork_* tables: missing, unexpected, or with a different definition. */
export function schemaDrift(expected: Map<string, string>, actual: Map<string, string>, prefix = 'patchwork_'): string[] {
  const drift: string[] = [];
  const names = new Set([...expected.keys(), ...actual.keys()].filter((n) => n.startsWith(prefix)));
  for (const n of [...names].sort()) {
    const e = expected.get(n);
    const a = actual.get(n);
    if (e === undefined) drift.push(`${n}: not expected`);
    else if (a === undefined) drift.push(`${n}: missing`);
    else if (normaliseCreate(e) !== normaliseCreate(a)) {
      const el = normaliseCreate(e).split('\n');
      const al = normaliseCreate(a).split('\n');
      const lines = [...el.filter((l) => !al.includes(l)).map((l) => `- ${l.trim()}`), ...al.filter((l) => !el.includes(l)).map((l) => `+ ${l.trim()}`)];
      drift.push(`${n}: differs${lines.length ? '\n    ' + lines.join('\n    ') : ' (line order)'}`);
    }
  }
  return drift;
}

/** The reference schema of a named version, from the pack's schema/ folder. */
export async function referenceSchema(version: string): Promise<Map<string, string> | undefined> {
  try {
    return parseDumpTables(await readFile(new URL(`./schema/patchwork-${version}.sql`, import.meta.url), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The applied Patchwork migrations, in the order Django applied them (names sort in that order). */
export function appliedPatchwork(applied: AppliedMigration[]): string[] {
  return applied.filter((a) => a.app === APP).map((a) => a.name).sort();
}

/** The version name for the last applied migration: a named version, else that migration's name. */
export function versionOf(applied: AppliedMigration[]): string {
  const last = appliedPatchwork(applied).at(-1);
  if (last === undefined) return 'unknown';
  const named = Object.entries(VERSION_LAST_MIGRATION).find(([, m]) => m === last);
  return named ? named[0] : last;
}

export async function detect(ctx: PlanContext): Promise<Detection> {
  const version = versionOf(ctx.applied);
  const expected = await referenceSchema(version);
  if (!expected) {
    return { version, drift: version === 'unknown' ? ['no patchwork rows in django_migrations'] : [`no reference schema for ${version}: schema not compared`] };
  }
  const actual = new Map([...ctx.schema.tables.values()].map((t) => [t.name, t.createSql]));
  return { version, drift: schemaDrift(expected, actual) };
}
