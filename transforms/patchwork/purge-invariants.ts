/**
 * What must hold after a project purge, as bounded queries returning violating rows.
 *
 * The people-related checks compare against `_drydock_purge_snapshot`, which the purge's first
 * steps fill before anything is deleted (purge.ts) and which is kept afterwards (export skips
 * `_drydock*` tables): so they hold only once a purge has started, and a later `verify` can still
 * ask them. The FK orphan checks need no snapshot and hold before a purge too.
 */
import type { SchemaSnapshot } from '../../pipeline/db/introspect.js';
import { qid as q } from '../../pipeline/db/connection.js';
import type { Invariant } from '../core/pack.js';
import { MAINTAINER_TABLE, PROFILE_TABLE, PROJECT_TABLE, SNAPSHOT_TABLE } from './purge.js';

/** Violating rows shown per invariant. */
const LIMIT = 10;

/**
 * One invariant per foreign key of the schema: no row references a parent that does not exist.
 * InnoDB enforces this while FOREIGN_KEY_CHECKS is on; an import or a purge run with it off would not.
 */
export function fkOrphanInvariants(schema: SchemaSnapshot): Invariant[] {
  const out: Invariant[] = [];
  for (const t of [...schema.tables.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (t.name.startsWith('_drydock')) continue;
    for (const fk of t.foreignKeys) {
      const cols = fk.columns.map((c) => `c.${q(c)}`);
      const join = fk.columns.map((c, i) => `p.${q(fk.refColumns[i]!)} = c.${q(c)}`).join(' AND ');
      out.push({
        id: `purge.fk-orphan.${t.name}.${fk.name}`,
        title: `every ${t.name}.${fk.columns.join(', ')} points at an existing ${fk.refTable} row`,
        sql:
          `SELECT ${cols.join(', ')} FROM ${q(t.name)} c LEFT JOIN ${q(fk.refTable)} p ON ${join} ` +
          `WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')} AND p.${q(fk.refColumns[0]!)} IS NULL LIMIT ${LIMIT}`,
      });
    }
  }
  return out;
}

/**
 * The purge's post-conditions: every user who had a profile still has one, every maintainer link to
 * another project is intact, nothing references the purged project, and no FK is orphaned.
 * Valid once a purge has run on this database (they read its snapshot table).
 */
export function purgeInvariants(schema: SchemaSnapshot): Invariant[] {
  const s = q(SNAPSHOT_TABLE);
  const purged = `(SELECT project_id FROM ${s} WHERE kind = 'project')`;
  const out: Invariant[] = [];
  if (schema.tables.has(PROFILE_TABLE)) {
    out.push({
      id: 'purge.profiles-kept',
      title: 'every user who had a profile before the purge still has one',
      sql: `SELECT s.user_id FROM ${s} s LEFT JOIN ${q(PROFILE_TABLE)} u ON u.user_id = s.user_id WHERE s.kind = 'profile' AND u.id IS NULL LIMIT ${LIMIT}`,
    });
    if (schema.tables.has(MAINTAINER_TABLE)) {
      out.push({
        id: 'purge.other-maintainers-kept',
        title: 'every maintainer link to another project that existed before the purge still exists',
        sql:
          `SELECT s.user_id, s.project_id FROM ${s} s LEFT JOIN ${q(PROFILE_TABLE)} u ON u.user_id = s.user_id ` +
          `LEFT JOIN ${q(MAINTAINER_TABLE)} m ON m.userprofile_id = u.id AND m.project_id = s.project_id ` +
          `WHERE s.kind = 'maintainer' AND m.id IS NULL LIMIT ${LIMIT}`,
      });
    }
  }
  out.push({
    id: 'purge.project-gone',
    title: 'the purged project row is gone',
    sql: `SELECT p.id FROM ${q(PROJECT_TABLE)} p WHERE p.id IN ${purged} LIMIT ${LIMIT}`,
  });
  for (const t of [...schema.tables.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const fk of t.foreignKeys) {
      if (fk.refTable !== PROJECT_TABLE || fk.columns.length !== 1) continue;
      const c = q(fk.columns[0]!);
      out.push({
        id: `purge.no-reference.${t.name}.${fk.columns[0]!}`,
        title: `no ${t.name}.${fk.columns[0]!} references the purged project`,
        sql: `SELECT ${c} FROM ${q(t.name)} WHERE ${c} IN ${purged} LIMIT ${LIMIT}`,
      });
    }
  }
  out.push(...fkOrphanInvariants(schema));
  return out;
}
