/**
 * `drydock run`: chains the stages (engine → import → migrate → verify → export) in one run
 * directory, records each finished stage, and resumes from that record when the same command is
 * run again. The server is stopped in `finally`, whatever happened, unless --keep-server.
 */
import { join, resolve } from 'node:path';
import { StageError, VerificationError } from './errors.js';
import { RunDir } from './run-dir.js';
import type { StageRecord } from './run-dir.js';
import { engineFor } from './engine/index.js';
import type { StartedServer } from './engine/engine.js';
import type { Reporter } from './report/reporter.js';
import { connect, isConnectionLost, qid } from './db/connection.js';
import { formatServerUrl } from './db/url.js';
import { exportDump, hasManifest, summarizeTables } from './stages/export.js';
import type { Manifest, TableSummary } from './stages/export.js';
import { importWithClient } from './stages/import-client.js';
import { rmSync, writeFileSync } from 'node:fs';
import { isAlive } from './process-state.js';

/** Frozen, validated configuration of a run (built by cli.ts from the flags). */
export interface RunConfig {
  dump: string;
  out: string;
  to?: string;
  pack?: string;
  sqlFile?: string;
  nullState?: string;
  dropProject?: string;
  batchRows: number;
  batchSeconds: number;
  allowUnbatched: boolean;
  engine: 'local' | 'docker' | 'external';
  engineUrl?: string;
  image?: string;
  database: string;
  runDir?: string;
  runsRoot?: string;
  fresh: boolean;
  keepServer: boolean;
  tcp: boolean;
  threads: number;
  importer: 'native' | 'client';
  /** Schema for a JSON fixture or CSV directory input. */
  schemaFile?: string;
  /** Export format. */
  format: 'sql' | 'csv';
  serverOptions?: Record<string, string>;
  /** Memory the local server plans for (buffer pool, redo log), bytes; default: the machine's. */
  serverMemory?: number;
}

export interface StageResult {
  name: string;
  status: StageRecord['status'];
  seconds?: number;
  detail?: Record<string, unknown>;
  error?: string;
}

export interface RunResult {
  ok: boolean;
  runId: string;
  runDir: string;
  out: string;
  stages: StageResult[];
  server?: { engine: string; flavor: string; version: string; url?: string };
  manifest?: Manifest;
}

export interface ImportHookOptions {
  server: StartedServer;
  dump: string;
  threads: number;
  importer: 'native' | 'client';
  schemaFile?: string;
  signal: AbortSignal;
  reporter: Reporter;
}

/** Pluggable stage implementations: the native importer and the migration runner plug in here. */
export interface StageHooks {
  /** Loads the input (any kind); without it, run uses the mysql client. */
  import?: (o: ImportHookOptions) => Promise<Record<string, unknown>>;
  /** Whether that import resumes a partial earlier attempt itself; if not, the database is emptied first. */
  importResumes?: (o: Pick<ImportHookOptions, 'dump' | 'importer'>) => boolean;
  migrate?: (o: { server: StartedServer; config: RunConfig; signal: AbortSignal; reporter: Reporter }) => Promise<{ status: 'done' | 'skipped'; detail: Record<string, unknown>; touchedTables: string[] }>;
}

export const STAGES = ['engine', 'import', 'migrate', 'verify', 'export'] as const;

function abortError(): Error {
  return Object.assign(new Error('interrupted'), { name: 'AbortError' });
}

export async function runPipeline(config: RunConfig, reporter: Reporter, signal: AbortSignal, hooks: StageHooks = {}): Promise<RunResult> {
  const inputs = {
    dump: config.dump === '-' ? '-' : resolve(config.dump),
    out: resolve(config.out),
    to: config.to ?? null,
    pack: config.pack ?? null,
    sql: config.sqlFile ? resolve(config.sqlFile) : null,
    nullState: config.nullState ?? null,
    dropProject: config.dropProject ?? null,
    engine: config.engine,
    engineUrl: config.engineUrl ?? null,
    database: config.database,
    format: config.format,
  };
  const rd = RunDir.open({
    inputs,
    ...(config.runDir ? { dir: config.runDir } : {}),
    ...(config.runsRoot ? { root: config.runsRoot } : {}),
    ...(config.dump !== '-' ? { dump: config.dump } : {}),
    fresh: config.fresh,
  });
  rd.lock();
  reporter.logTo(rd.logPath);
  reporter.event({ type: 'run-start', message: `run ${rd.state.runId} in ${rd.dir}` });
  const results: StageResult[] = [];
  let server: StartedServer | undefined;
  let manifest: Manifest | undefined;
  if (rd.stage('export')?.status === 'done' && hasManifest(config.out) && !config.keepServer) {
    // Finished before: the result stands and the scratch datadir is gone; nothing to redo.
    reporter.event({ type: 'run-complete', message: `run ${rd.state.runId} already finished; result in ${resolve(config.out)} (--fresh runs it again)` });
    for (const name of STAGES) results.push({ name, status: 'skipped', detail: { resumed: true } });
    try {
      return finish(true);
    } finally {
      rd.unlock();
    }
  }

  const stage = async (name: string, fn: () => Promise<{ status?: 'done' | 'skipped'; detail?: Record<string, unknown> } | void>, resumable = true) => {
    const prev = rd.stage(name);
    if (resumable && prev?.status === 'done') {
      reporter.event({ type: 'stage-skip', stage: name, message: 'already done in this run directory (resuming)' });
      results.push({ name, status: 'skipped', detail: { resumed: true } });
      return;
    }
    if (signal.aborted) throw abortError();
    const started = Date.now();
    reporter.event({ type: 'stage-start', stage: name, message: 'started' });
    try {
      const r = (await fn()) ?? {};
      const rec: StageRecord = { status: r.status ?? 'done', startedAt: new Date(started).toISOString(), finishedAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000, ...(r.detail ? { detail: r.detail } : {}) };
      rd.record(name, rec);
      results.push({ name, status: rec.status, ...(rec.seconds !== undefined ? { seconds: rec.seconds } : {}), ...(rec.detail ? { detail: rec.detail } : {}) });
      reporter.event({ type: 'stage-done', stage: name, message: `${rec.status} in ${rec.seconds?.toFixed(1)} s` });
    } catch (err) {
      const interrupted = (err as Error).name === 'AbortError' || signal.aborted;
      // Only an error that looks like a lost connection is worth waiting for the server's exit.
      const lost = isConnectionLost(err) || /lost connection|gone away|server died|ECONNREFUSED|ECONNRESET/i.test(String((err as Error)?.message));
      const failed = server ? await serverDeath(server, lost ? 20 : 1) : undefined;
      const wrapped =
        failed && name !== 'engine'
          ? new StageError(name as 'import', `the server died during ${name} (${failed}); see ${server?.errorLog ?? 'its error log'}`, {
              hint: 'read the server error log (a full disk or memory are the usual causes); re-running the same command resumes',
              cause: err,
            })
          : err;
      rd.record(name, { status: interrupted ? 'interrupted' : 'failed', startedAt: new Date(started).toISOString(), error: (wrapped as Error).message });
      results.push({ name, status: interrupted ? 'interrupted' : 'failed', error: (wrapped as Error).message });
      throw wrapped;
    }
  };

  let touched: string[] = [];
  try {
    await stage(
      'engine',
      async () => {
        server = await engineFor(config.engine).start({
          dir: rd.serverDir,
          database: config.database,
          tcp: config.tcp,
          keep: config.keepServer,
          signal,
          ...(config.engineUrl ? { url: config.engineUrl } : {}),
          ...(config.image ? { image: config.image } : {}),
          ...(config.serverOptions ? { options: config.serverOptions } : {}),
          ...(config.serverMemory ? { memoryBytes: config.serverMemory } : {}),
        });
        reporter.event({ type: 'server', stage: 'engine', message: `${server.engine} ${server.version} at ${formatServerUrl(server.address)}` });
        return { detail: { engine: server.engine, version: server.version, flavor: server.flavor } };
      },
      false,
    );
    const srv = server!;

    await stage('import', async () => {
      if (rd.stage('import')?.status && !(hooks.importResumes?.(config) ?? false)) {
        // An importer that cannot resume inside its input starts the database over.
        const c = await connect(srv.address, null);
        try {
          await c.query(`DROP DATABASE IF EXISTS ${qid(srv.address.database)}`);
          await c.query(`CREATE DATABASE ${qid(srv.address.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
        } finally {
          await c.end();
        }
      }
      const o: ImportHookOptions = { server: srv, dump: config.dump, threads: config.threads, importer: config.importer, signal, reporter, ...(config.schemaFile ? { schemaFile: config.schemaFile } : {}) };
      const detail = hooks.import
        ? await hooks.import(o)
        : { importer: 'client', bytes: (await importWithClient({ address: srv.address, dump: config.dump, signal, onEvent: (e) => reporter.event({ ...e, stage: 'import' }) })).bytes };
      // What was imported, recorded with the stage: verification compares the result against it.
      return { detail: { ...detail, tableSummaries: await summarizeTables(srv.address) } };
    });
    const importedTables = rd.stage('import')?.detail?.['tableSummaries'] as TableSummary[] | undefined;
    if (!importedTables) {
      throw new StageError('verify', `the run directory ${rd.dir} has no record of the imported tables`, { hint: 'it was made by an older drydock; re-run with --fresh' });
    }

    await stage('migrate', async () => {
      if (!hooks.migrate) return { status: 'skipped', detail: { reason: 'no migration runner configured' } };
      const r = await hooks.migrate({ server: srv, config, signal, reporter });
      touched = r.touchedTables;
      return { status: r.status, detail: { ...r.detail, touchedTables: r.touchedTables } };
    });
    touched = (rd.stage('migrate')?.detail?.['touchedTables'] as string[] | undefined) ?? touched;

    await stage('verify', async () => {
      const after = await summarizeTables(srv.address);
      const problems = verifyUntouched(importedTables, after, new Set(touched));
      if (problems.length) {
        throw new VerificationError('verify', `the result differs from the imported data in tables the migration did not touch:\n  ${problems.join('\n  ')}`, {
          hint: 'do not use this result; report it with the run directory attached',
        });
      }
      return { detail: { tablesChecked: after.length, untouchedTablesCompared: after.filter((t) => !touched.includes(t.name)).length } };
    }, false);

    await stage(
      'export',
      async () => {
        manifest = await exportDump({
          address: srv.address,
          format: config.format,
          out: config.out,
          serverVersion: srv.version,
          flavor: srv.flavor,
          run: { runId: rd.state.runId, dump: inputs.dump, to: config.to ?? null, pack: config.pack ?? null },
          signal,
        });
        return { detail: { out: resolve(config.out), tables: manifest.tables.length, files: manifest.files.map((f) => f.name) } };
      },
      false,
    );
    if (config.keepServer) reporter.event({ type: 'keep-server', message: keepServerMessage(srv) });
    return finish(true);
  } finally {
    if (server && !config.keepServer) {
      await server.stop();
      // A finished run needs its scratch datadir no more (GBs at production scale); a failed one keeps it to resume.
      if (rd.stage('export')?.status === 'done' && server.engine === 'local') rmSync(join(rd.serverDir, 'data'), { recursive: true, force: true });
    }
    rd.unlock();
  }

  function finish(ok: boolean): RunResult {
    const result: RunResult = {
      ok,
      runId: rd.state.runId,
      runDir: rd.dir,
      out: resolve(config.out),
      stages: results,
      ...(server ? { server: { engine: server.engine, flavor: server.flavor, version: server.version, url: formatServerUrl(server.address) } } : {}),
      ...(manifest ? { manifest } : {}),
    };
    writeFileSync(rd.reportPath, JSON.stringify(result, null, 2) + '\n');
    return result;
  }
}

/**
 * Why the server is gone, or undefined while it runs. A client usually notices a dead server a
 * moment before its parent does, so the process state is read directly and the exit is awaited briefly.
 */
async function serverDeath(s: StartedServer, checks: number): Promise<string | undefined> {
  for (let i = 0; i < checks; i++) {
    const e = s.exited();
    if (e) return `exit code ${e.code}, signal ${e.signal}`;
    if (!s.pid) return undefined;
    if (!isAlive(s.pid)) return `process ${s.pid} is gone`;
    if (i + 1 < checks) await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}


/** Tables the plan did not touch must come out exactly as they went in (count and checksum). */
export function verifyUntouched(before: TableSummary[], after: TableSummary[], touched: Set<string>): string[] {
  const a = new Map(after.map((t) => [t.name, t]));
  const problems: string[] = [];
  for (const b of before) {
    if (touched.has(b.name)) continue;
    const x = a.get(b.name);
    if (!x) problems.push(`${b.name}: missing after migration`);
    else if (x.rows !== b.rows) problems.push(`${b.name}: ${b.rows} rows imported, ${x.rows} now`);
    else if (x.checksum !== b.checksum) problems.push(`${b.name}: checksum changed (${b.checksum} → ${x.checksum})`);
  }
  return problems;
}

export function keepServerMessage(s: StartedServer): string {
  const a = s.address;
  const how = a.socket ? `mysql -uroot -S ${a.socket} ${a.database}` : `mysql -uroot -h${a.host} -P${a.port} ${a.database}`;
  return `server left running (pid ${s.pid ?? '?'}): connect with \`${how}\`; stop it with \`kill ${s.pid ?? '<pid>'}\` or \`drydock engine stop\``;
}
