/**
 * A plan as text for `drydock plan` (a table, then the DDL each DDL step will run, merged) and as
 * JSON for `--json`. Pure: the plan already carries its estimates.
 */
import type { Plan, PlannedStep } from './migrate.js';

function fmtInt(n: number | undefined): string {
  if (n === undefined) return '-';
  return Math.round(n).toLocaleString('en-US');
}

/** `m#2+m#3+m#4` is shown as `m#2+3+4`: merged ids share their migration prefix. */
export function displayId(id: string): string {
  const parts = id.split('+');
  const prefix = /^(.*#)/.exec(parts[0] ?? '')?.[1];
  if (parts.length < 2 || !prefix || !parts.every((p) => p.startsWith(prefix))) return id;
  return parts[0] + '+' + parts.slice(1).map((p) => p.slice(prefix.length)).join('+');
}

function kindOf(s: PlannedStep): string {
  const step = s.step;
  if (step.kind === 'batched') return step.op;
  if (step.kind === 'sql') return step.unbatched ? 'sql UNBATCHED' : 'sql';
  return 'ddl';
}

function tableOf(s: PlannedStep): string {
  const step = s.step;
  if (step.kind === 'batched') return step.target === step.driving.table ? step.driving.table : `${step.driving.table} -> ${step.target}`;
  if (step.kind === 'ddl') return step.table;
  return step.unbatched?.table ?? '-';
}

function rowsOf(s: PlannedStep): string {
  if (s.step.kind === 'sql' && !s.step.unbatched) return '-';
  const r = fmtInt(s.estimate.rows);
  return s.estimate.rows !== undefined && !s.estimate.exact ? `~${r}` : r;
}

/** The plan as a text table, one row per step, the merged DDL under the table. Ends with a newline. */
export function renderPlanText(plan: Plan): string {
  const head = ['#', 'step', 'kind', 'table', 'est. rows', 'batches', 'largest txn'];
  const rows = plan.steps.map((s) => [
    String(s.index),
    displayId(s.step.id),
    kindOf(s),
    tableOf(s),
    rowsOf(s),
    s.step.kind === 'sql' && !s.step.unbatched ? '1' : String(s.estimate.batches),
    s.step.kind === 'ddl' ? 'rebuild' : fmtInt(s.estimate.largestTransaction),
  ]);
  const right = new Set([0, 4, 5, 6]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  const origin = plan.stored ? 'stored by an earlier run, resumed as is' : 'new';
  out.push(`plan for database ${plan.database} from ${plan.source} (${origin}); at most ${fmtInt(plan.batchRows)} driving rows per batch`);
  out.push('');
  out.push(line(head));
  out.push(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) out.push(line(r));
  const ddl = plan.steps.filter((s) => s.step.kind === 'ddl');
  const unbatched = plan.steps.filter((s) => s.step.kind === 'sql' && s.step.unbatched);
  if (ddl.length) {
    out.push('');
    out.push('DDL (consecutive ALTERs on one table merged: one rebuild each):');
    for (const s of ddl) if (s.step.kind === 'ddl') for (const sql of s.step.statements) out.push(`  ${s.index}. ${sql}`);
  }
  const batched = plan.steps.filter((s) => s.step.kind === 'batched');
  if (batched.length) {
    out.push('');
    out.push('Data steps (each batch one transaction over a key range of the driving table):');
    for (const s of batched) {
      if (s.step.kind !== 'batched') continue;
      const d = s.step.driving;
      out.push(`  ${s.index}. ${s.step.title} — by ${d.table}(${d.key.join(', ')})${d.where ? ` where ${d.where}` : ''}`);
    }
  }
  if (unbatched.length) {
    out.push('');
    out.push('Cannot run in batches (refused without --allow-unbatched):');
    for (const s of unbatched) if (s.step.kind === 'sql' && s.step.unbatched) out.push(`  ${s.index}. ${s.step.id}: ${s.step.unbatched.reason}`);
  }
  const total = plan.steps.reduce((n, s) => n + (s.step.kind === 'batched' ? s.estimate.batches : 0), 0);
  const largest = Math.max(0, ...plan.steps.map((s) => (s.step.kind === 'ddl' ? 0 : s.estimate.largestTransaction ?? 0)));
  out.push('');
  out.push(`${plan.steps.length} steps, ${fmtInt(total)} batches; largest transaction ~${fmtInt(largest)} rows.`);
  return out.join('\n') + '\n';
}

/** The plan as JSON-ready data (stable field names for scripts). */
export function planToJson(plan: Plan): unknown {
  return {
    database: plan.database,
    source: plan.source,
    fingerprint: plan.fingerprint,
    stored: plan.stored,
    batchRows: plan.batchRows,
    steps: plan.steps.map((s) => ({
      index: s.index,
      id: s.step.id,
      kind: s.step.kind,
      ...(s.step.kind === 'batched' ? { op: s.step.op, driving: s.step.driving, target: s.step.target, sql: s.step.sql } : {}),
      ...(s.step.kind === 'ddl' ? { table: s.step.table, statements: s.step.statements } : {}),
      ...(s.step.kind === 'sql' ? { statements: s.step.statements, unbatched: s.step.unbatched ?? null } : {}),
      title: s.step.title,
      migration: s.step.migration ?? null,
      estimate: { rows: s.estimate.rows ?? null, exact: s.estimate.exact, batches: s.estimate.batches, largestTransaction: s.estimate.largestTransaction ?? null },
    })),
  };
}

/** `JSON.stringify` of {@link planToJson}, indented. */
export function renderPlanJson(plan: Plan): string {
  return JSON.stringify(planToJson(plan), null, 2) + '\n';
}
