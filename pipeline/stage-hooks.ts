/**
 * Wires the stage implementations into `run` and the stand-alone sub-commands, so both use the
 * same importer, migration runner and checks.
 */
import { StageError, VerificationError } from './errors.js';
import type { StartedServer } from './engine/engine.js';
import type { Reporter } from './report/reporter.js';
import type { ImportHookOptions, StageHooks } from './run.js';
import { connect } from './db/connection.js';
import { importDump } from './stages/import.js';
import { existsSync, statSync } from 'node:fs';
import { planContext, planMigration, runMigration } from './stages/migrate.js';
import type { MigrateOptions, MigrateResult, Plan } from './stages/migrate.js';
import { renderPlanJson, renderPlanText } from './stages/plan-render.js';
import { purgeCounts, renderPurgeCounts } from '../transforms/patchwork/purge.js';
import type { PurgeCount } from '../transforms/patchwork/purge.js';
import type { Detection, Pack, PlanOptions } from '../transforms/core/pack.js';
import type { Step } from '../transforms/core/step.js';

export interface MigrateFlags {
  batchRows: number;
  batchSeconds: number;
  allowUnbatched: boolean;
  pack?: string;
  to?: string;
  sqlFile?: string;
  nullState?: string;
  dropProject?: string;
}

/** What kind of input a `--dump` path is: a SQL dump (.sql, .sql.gz, stdin), a Django JSON fixture, or a CSV directory. */
export function inputKind(dump: string): 'sql' | 'json' | 'csv' {
  if (dump === '-') return 'sql';
  if (existsSync(dump) && statSync(dump).isDirectory()) return 'csv';
  return /\.json$/i.test(dump) ? 'json' : 'sql';
}

export async function importStandalone(o: ImportHookOptions): Promise<Record<string, unknown>> {
  const onEvent = (e: object) => o.reporter.event({ type: 'import-event', ...e, stage: 'import' });
  const kind = inputKind(o.dump);
  // The other importers are loaded only when asked for: the client importer's execa alone takes
  // longer to load than a small import's whole start-up.
  if (kind === 'json') {
    const { importJsonFixture } = await import('./dump/json-fixture.js');
    const r = await importJsonFixture({ address: o.server.address, file: o.dump, signal: o.signal, onEvent, ...(o.schemaFile ? { schemaFile: o.schemaFile } : {}) });
    return { importer: 'json-fixture', seconds: r.seconds, tables: r.tables.length, rows: r.tables.reduce((n, t) => n + t.rows, 0) };
  }
  if (kind === 'csv') {
    const { importCsvDir } = await import('./dump/csv-dir.js');
    const r = await importCsvDir({ address: o.server.address, dir: o.dump, signal: o.signal, onEvent, ...(o.schemaFile ? { schemaFile: o.schemaFile } : {}) });
    return { importer: 'csv', seconds: r.seconds, tables: r.tables.length, rows: r.tables.reduce((n, t) => n + t.rows, 0) };
  }
  if (o.importer === 'client') {
    const { importWithClient } = await import('./stages/import-client.js');
    const r = await importWithClient({ address: o.server.address, dump: o.dump, signal: o.signal, onEvent: (e) => o.reporter.event({ ...e, stage: 'import' }) });
    return { importer: 'client', bytes: r.bytes, seconds: r.seconds };
  }
  const r = await importDump({ address: o.server.address, dump: o.dump, threads: o.threads, signal: o.signal, onEvent: (e) => o.reporter.event({ ...e, stage: 'import' }) });
  return {
    importer: 'native',
    bytes: r.bytes,
    seconds: r.seconds,
    rewrites: r.rewrites,
    tables: r.tables.length,
    rows: r.tables.reduce((n, t) => n + t.rows, 0),
    resumedTables: r.tables.filter((t) => t.skipped).length,
  };
}

function planOptions(f: MigrateFlags): PlanOptions {
  return {
    batchRows: f.batchRows,
    ...(f.to !== undefined ? { to: f.to } : {}),
    ...(f.nullState !== undefined ? { nullState: f.nullState } : {}),
    ...(f.dropProject !== undefined ? { dropProject: f.dropProject } : {}),
  };
}

/** The migrate options for a server and flags; undefined when there is nothing to migrate. */
async function migrateOptions(server: StartedServer, f: MigrateFlags): Promise<{ opts: MigrateOptions; pack: Pack | undefined; detection?: Detection } | undefined> {
  const base = { address: server.address, planOptions: planOptions(f), batchRows: f.batchRows, batchSeconds: f.batchSeconds, allowUnbatched: f.allowUnbatched };
  if (f.sqlFile) return { opts: { ...base, sqlFile: f.sqlFile }, pack: undefined };
  const conn = await connect(server.address);
  try {
    const ctx = await planContext(conn, server.address.database, base.planOptions);
    // Loaded here: the packs (and their transforms) are only needed once there is something to migrate.
    const { choosePack } = await import('./packs.js');
    const pack = choosePack(ctx, f.pack);
    if (!pack) return undefined;
    return { opts: { ...base, pack }, pack, detection: await pack.detect(ctx) };
  } finally {
    await conn.end();
  }
}

export async function planStandalone(o: { server: StartedServer; json: boolean } & MigrateFlags): Promise<string> {
  const m = await migrateOptions(o.server, o);
  if (!m) return o.json ? JSON.stringify({ steps: [], reason: 'no transform pack recognises this database' }) : 'nothing to do: no transform pack recognises this database (use --pack or --sql)';
  const plan = await planMigration(m.opts);
  const purge = o.dropProject && m.pack?.name === 'patchwork' ? await purgeSummary(o.server, o, o.dropProject) : undefined;
  if (o.json) return purge ? JSON.stringify({ purge: purge.counts, plan: JSON.parse(renderPlanJson(plan)) as unknown }, null, 2) : renderPlanJson(plan);
  return driftText(m.detection) + (purge ? purge.text + '\n' : '') + renderPlanText(plan);
}

/** Per table: rows the purge will delete and update, counted with the steps' own conditions. */
async function purgeSummary(server: StartedServer, f: MigrateFlags, project: string): Promise<{ counts: PurgeCount[]; text: string }> {
  const conn = await connect(server.address);
  try {
    const ctx = await planContext(conn, server.address.database, planOptions(f));
    const counts = await purgeCounts(ctx, project);
    return { counts, text: renderPurgeCounts(project, counts) };
  } finally {
    await conn.end();
  }
}

/** Differences between the live schema and what the detected version should have: shown before anything runs. */
function driftText(d: Detection | undefined): string {
  if (!d) return '';
  const head = `detected version: ${d.version}\n`;
  return d.drift.length ? `${head}schema drift from the expected ${d.version} schema (${d.drift.length}):\n  ${d.drift.join('\n  ')}\n\n` : `${head}\n`;
}

/** Tables a plan may change: verification compares every other table with what was imported. */
export function touchedTables(steps: Step[]): string[] {
  const out = new Set<string>();
  const scan = (sql: string) => {
    for (const m of sql.matchAll(/\b(?:INTO|UPDATE|FROM|TABLE|JOIN|TO|EXISTS|ON)\s+`?([A-Za-z0-9_$]+)`?/gi)) out.add(m[1]!);
  };
  for (const s of steps) {
    if (s.kind === 'ddl') {
      out.add(s.table);
      s.statements.forEach(scan);
    } else if (s.kind === 'batched') {
      out.add(s.target);
      out.add(s.driving.table);
      scan(s.sql);
    } else s.statements.forEach(scan);
  }
  return [...out];
}

function reportEvent(reporter: Reporter) {
  return (e: Parameters<NonNullable<MigrateOptions['onEvent']>>[0]) => {
    const { event, ...rest } = e;
    const message =
      event === 'step-start'
        ? `step ${e.index} ${e.stepId}: ${e.title}`
        : event === 'step-done'
          ? `step ${e.index} done: ${e.rows} rows in ${e.batches} transactions (largest ${e.largestTransaction}) in ${e.seconds.toFixed(1)} s`
          : event === 'step-failed'
            ? `step ${e.index} failed: ${e.message}`
            : undefined;
    reporter.event({ type: event === 'batch' ? 'migrate-progress' : `migrate-${event}`, stage: 'migrate', ...rest, ...(message ? { message } : {}) });
  };
}

function summarise(r: MigrateResult, plan: Plan | undefined): Record<string, unknown> {
  return {
    status: r.status,
    resumed: r.resumed,
    steps: r.steps.length,
    stepsDone: r.steps.filter((s) => s.status === 'done').length,
    stepsSkipped: r.steps.filter((s) => s.status === 'skipped').length,
    rows: r.steps.reduce((n, s) => n + s.rows, 0),
    largestTransaction: Math.max(0, ...r.steps.map((s) => s.largestTransaction)),
    seconds: r.seconds,
    ...(plan ? { source: plan.source } : {}),
    timings: r.steps.map((s) => ({ id: s.id, status: s.status, rows: s.rows, batches: s.batches, largestTransaction: s.largestTransaction, seconds: s.seconds })),
  };
}

/** Runs the migration; a failed or interrupted run throws (its error names step, batch and range). */
async function migrate(o: { server: StartedServer; signal: AbortSignal; reporter: Reporter } & MigrateFlags): Promise<{ status: 'done' | 'skipped'; detail: Record<string, unknown>; touchedTables: string[]; pack?: Pack }> {
  const m = await migrateOptions(o.server, o);
  if (!m) return { status: 'skipped', detail: { reason: 'no transform pack recognises this database' }, touchedTables: [] };
  if (m.detection) {
    o.reporter.event({ type: 'migrate-detected', stage: 'migrate', version: m.detection.version, drift: m.detection.drift, message: `detected ${m.opts.pack?.name} ${m.detection.version}${m.detection.drift.length ? `; schema drift: ${m.detection.drift.join('; ')}` : ''}` });
  }
  const plan = await planMigration(m.opts);
  const r = await runMigration({ ...m.opts, signal: o.signal, onEvent: reportEvent(o.reporter) });
  if (r.status === 'interrupted') throw Object.assign(new Error('migration interrupted between batches; re-run to resume'), { name: 'AbortError' });
  if (r.status === 'failed') throw r.error ?? new StageError('migrate', 'the migration failed', { hint: 're-run to resume after the last committed batch' });
  // The references are what Django leaves from a reloaded dump of the pack's first version. From
  // such an input without drift the result must equal the target exactly; from any other input
  // (another version's dump keeps other implicit index names, or the input already drifted) the
  // same differences are what Django would leave too, so they are reported, not failed.
  const strictSchema = !!m.pack && m.detection?.version === m.pack.versions[0] && m.detection?.drift.length === 0;
  const problems = await checkResult(o.server, m.pack, o, strictSchema, o.reporter);
  if (problems.length) {
    throw new VerificationError('verify', `the migrated database does not hold what it must:\n  ${problems.join('\n  ')}`, { hint: 'do not use this result; keep the run directory and report it' });
  }
  return { status: 'done', detail: summarise(r, plan), touchedTables: touchedTables(plan.steps.map((s) => s.step)), ...(m.pack ? { pack: m.pack } : {}) };
}

/** The pack's own checks after a run: its invariants, and no drift from the target schema. */
export async function checkResult(server: StartedServer, pack: Pack | undefined, f: MigrateFlags, strictSchema: boolean, reporter?: Reporter): Promise<string[]> {
  if (!pack) return [];
  const conn = await connect(server.address);
  try {
    const ctx = await planContext(conn, server.address.database, planOptions(f));
    const problems: string[] = [];
    for (const inv of pack.invariants(ctx)) {
      const rows = await ctx.query(inv.sql);
      if (rows.length) problems.push(`${inv.title} (${inv.id}): ${rows.length} violating row(s), e.g. ${JSON.stringify(rows[0])}`);
    }
    const d = await pack.detect(ctx);
    const drift = d.drift.map((x) => `schema drift after migration (version ${d.version}): ${x}`);
    if (strictSchema) problems.push(...drift);
    else if (drift.length) reporter?.event({ type: 'warning', stage: 'verify', drift, message: `the result differs from the reference ${d.version} schema as the input did (not an error for this input):\n  ${drift.join('\n  ')}` });
    return problems;
  } finally {
    await conn.end();
  }
}

export async function migrateStandalone(o: { server: StartedServer; signal: AbortSignal; reporter: Reporter } & MigrateFlags): Promise<Record<string, unknown>> {
  const r = await migrate(o);
  return { status: r.status, ...r.detail };
}

export function defaultHooks(): StageHooks {
  return {
    import: importStandalone,
    // Only the native SQL importer keeps a ledger of finished tables; the others start over.
    importResumes: (o) => o.importer === 'native' && inputKind(o.dump) === 'sql' && o.dump !== '-',
    migrate: async ({ server, config, signal, reporter }) => {
      if (config.pack === 'none' && !config.sqlFile) return { status: 'skipped', detail: { reason: '--pack none' }, touchedTables: [] };
      const r = await migrate({ server, signal, reporter, ...config });
      return { status: r.status, detail: r.detail, touchedTables: r.touchedTables };
    },
  };
}
