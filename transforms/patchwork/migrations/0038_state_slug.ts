import { ConfigError } from '../../../pipeline/errors.js';
import { sqlLiteral } from '../../../pipeline/db/connection.js';
import type { PatchworkMigration } from '../migration.js';

/** Django 3.2's slugify (ASCII): NFKD, drop non-ASCII, drop what is not a word, space or hyphen, collapse, trim. */
export function slugify(value: string): string {
  const ascii = value.normalize('NFKD').replace(/[^\x00-\x7f]/g, '');
  return ascii
    .toLowerCase()
    // Python's \s also matches \x1c-\x1f, JavaScript's does not.
    .replace(/[^\w\s\x1c-\x1f-]/g, '')
    .replace(/[-\s\x1c-\x1f]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
}

/**
 * State names become unique, and states get a unique slug. Django checks the slugs are unique in
 * Python first and fails the migration otherwise; drydock checks at plan time and refuses before
 * anything runs. patchwork_state holds a handful of rows, so the slugs are written in one statement.
 */
export const migration: PatchworkMigration = {
  name: '0038_state_slug',
  async plan(b) {
    const states = await b.ctx.query('SELECT id, name FROM patchwork_state ORDER BY id');
    const bySlug = new Map<string, string[]>();
    for (const s of states) {
      const slug = slugify(String(s['name']));
      bySlug.set(slug, [...(bySlug.get(slug) ?? []), String(s['name'])]);
    }
    const clashes = [...bySlug.values()].filter((n) => n.length > 1);
    if (clashes.length) {
      throw new ConfigError(`patchwork_state names that are not unique as slugs: ${clashes.map((n) => n.join(' / ')).join('; ')}; migration 0038 would fail`, {
        hint: 'merge or rename those states (and re-point their patches) before migrating',
      });
    }

    b.addUnique('patchwork_state', ['name']);
    b.addColumn('patchwork_state', 'slug', 'varchar(100) NULL UNIQUE');
    b.state.addIndex('patchwork_state', { name: 'slug', columns: ['slug'], unique: true });
    if (states.length) {
      const cases = states.map((s) => `WHEN ${Number(s['id'])} THEN ${sqlLiteral(slugify(String(s['name'])))}`).join(' ');
      b.smallSql('fill-slug', 'state.slug ← slugify(state.name)', [`UPDATE patchwork_state SET slug = CASE id ${cases} END WHERE id IN (${states.map((s) => Number(s['id'])).join(', ')})`]);
    }
    b.changeColumn('patchwork_state', 'slug', 'slug', 'varchar(100) NOT NULL', "IS_NULLABLE = 'NO'");
  },
};
