#!/usr/bin/env node
/**
 * drydock's command line: yargs commands that parse flags into frozen configs and call the
 * stages. Nothing else lives here; this is the only place that maps errors to exit codes.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { exitCodeFor, PipelineError, ConfigError } from './errors.js';
import { redact } from './redact.js';
import { createReporter } from './report/reporter.js';
import type { Reporter } from './report/reporter.js';
import { parseRunConfig, validateBatch, validateThreads, parseServerOptions, parseSize, DEFAULT_DATABASE } from './config.js';
import type { RawFlags } from './config.js';
import { parseServerUrl, resolvePassword } from './db/url.js';
import { registerSecret } from './redact.js';
import { DEFAULT_RUNS_ROOT } from './run-dir.js';
import { join } from 'node:path';

// Each command loads the modules it runs when it runs, not at start-up: with every stage, the
// engines and their libraries loaded up front, `drydock import` and `drydock --help` spent about
// half a second loading code they never used (measured: execa alone ~0.2 s).
const load = {
  run: () => import('./run.js'),
  hooks: () => import('./stage-hooks.js'),
  engines: () => import('./engine/index.js'),
  local: () => import('./engine/local.js'),
  external: async () => (await import('./engine/external.js')).externalEngine,
  export: () => import('./stages/export.js'),
  reimport: () => import('./stages/reimport.js'),
  generate: () => import('../transforms/patchwork/generate.js'),
};

type Flags = RawFlags & {
  from?: string;
  stagingDatabase?: string;
  backupDatabase?: string;
  loader?: string;
  force?: boolean;
  swap?: boolean;
  renameLockWait?: number;
  keepStaging?: boolean;
  keepBackup?: boolean; json?: boolean; patches?: number; version?: string; seed?: number; dryRun?: boolean; nullStatePatches?: number; dir?: string };

/** SIGINT/SIGTERM abort the run; stages check the signal and `finally` blocks stop the server. */
function abortOnSignals(): AbortController {
  const ac = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count += 1;
    if (count > 1) process.exit(130); // a second signal: the user really means it
    process.stderr.write(`\ndrydock: ${sig} received, stopping cleanly (again to force)\n`);
    ac.abort(Object.assign(new Error(`interrupted by ${sig}`), { name: 'AbortError' }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return ac;
}

function printResult(json: boolean, result: unknown, human: string): void {
  process.stdout.write(json ? redact(JSON.stringify(result, null, 2)) + '\n' : redact(human) + '\n');
}

async function main(argv: string[]): Promise<number> {
  let json = false;
  let exit = 0;
  const handle =
    <T,>(fn: (a: ArgumentsCamelCase<Flags>, reporter: Reporter, signal: AbortSignal) => Promise<T>) =>
    async (a: ArgumentsCamelCase<Flags>) => {
      json = !!a.json;
      const reporter = createReporter({ json });
      const ac = abortOnSignals();
      await fn(a, reporter, ac.signal);
    };

  const engineOpts = (y: Argv) =>
    y
      .option('engine', { choices: ['local', 'docker', 'external'] as const, describe: 'where the scratch server runs (default: local, or external with --engine-url)' })
      .option('engine-url', { type: 'string', describe: 'external scratch server: mysql://user@host:port/db or mysql://user@localhost/db?socket=/path (password: MYSQL_PWD)' })
      .option('image', { type: 'string', describe: 'docker engine image, e.g. mariadb:10.11 or mysql:8.0' })
      .option('server-option', { type: 'string', array: true, describe: 'local engine server option key=value (repeatable), e.g. innodb_buffer_pool_size=8M' })
      .option('tcp', { type: 'boolean', describe: 'local engine: also listen on a free loopback port' })
      .option('server-memory', { type: 'string', describe: 'local engine: memory to size the buffer pool (40%) and redo log from, e.g. 4G (default: the machine\'s)' });
  const migrateOpts = (y: Argv, requireUrl = true) =>
    (requireUrl ? y.option('engine-url', { type: 'string', demandOption: true, describe: 'the server holding the database to migrate' }) : y)
      .option('pack', { type: 'string', describe: 'transform pack (default: what django_migrations shows)' })
      .option('to', { type: 'string', describe: 'target version (default: the latest)' })
      .option('sql', { type: 'string', describe: 'a raw SQL migration file (e.g. from manage.py sqlmigrate) to run batched' })
      .option('batch-rows', { type: 'number', describe: 'max driving-table rows per transaction (default 5000)' })
      .option('batch-seconds', { type: 'number', describe: 'time target per batch; sizes adapt below --batch-rows (default 0.5)' })
      .option('null-state', { type: 'string', describe: 'Patchwork: state name for patches whose state is NULL' })
      .option('drop-project', { type: 'string', describe: 'Patchwork: delete this project and everything that belongs to it' })
      .option('allow-unbatched', { type: 'boolean', describe: 'run statements that cannot be batched as they are' });

  const cli = yargs(argv)
    .scriptName('drydock')
    .usage('$0 [run] --dump FILE --out DIR [--to VERSION]\n\nTake a MySQL/MariaDB database out of the water: import a dump into a throwaway server, migrate it in small batches, verify, and export a fresh dump.')
    .option('json', { type: 'boolean', describe: 'machine-readable output: NDJSON events on stderr, a JSON summary on stdout' })
    .command(
      ['run', '$0'],
      'import a dump into a throwaway server, migrate, verify and export (each stage resumes on re-run)',
      (y) =>
        engineOpts(migrateOpts(y, false))
          .option('dump', { type: 'string', describe: 'the dump: .sql, .sql.gz or - for stdin' })
          .option('out', { type: 'string', describe: 'directory for the fresh dump and its manifest' })
          .option('database', { type: 'string', describe: `scratch database name (default ${DEFAULT_DATABASE})` })
          .option('run-dir', { type: 'string', describe: `run directory (default ${DEFAULT_RUNS_ROOT}/<run-id>)` })
          .option('fresh', { type: 'boolean', describe: 'start over instead of resuming' })
          .option('keep-server', { type: 'boolean', describe: 'leave the scratch server running and print how to connect' })
          .option('threads', { type: 'number', describe: 'import connections (default: one per core)' })
          .option('importer', { choices: ['native', 'client'] as const, describe: 'native (default, parallel) or the mysql client' })
          .option('schema', { type: 'string', describe: 'schema SQL for a JSON fixture or CSV directory input' })
          .option('format', { choices: ['sql', 'csv'] as const, describe: 'export format (default sql)' })
          .example('$0 --dump prod.sql --out out/', 'the whole pipeline with a local throwaway server')
          .example('npm run pipeline -- --dump examples/patchwork-1.0-small.sql --out out/ --to 2.1', 'from a checkout'),
      handle(async (a, reporter, signal) => {
        const config = parseRunConfig(a);
        const [{ runPipeline }, { defaultHooks }] = await Promise.all([load.run(), load.hooks()]);
        const result = await runPipeline(config, reporter, signal, defaultHooks());
        const lines = [`drydock: done; result in ${result.out} (run ${result.runId})`];
        for (const s of result.stages) lines.push(`  ${s.name.padEnd(8)} ${s.status}${s.seconds !== undefined ? ` ${s.seconds.toFixed(1)} s` : ''}`);
        if (result.manifest) lines.push(`  ${result.manifest.tables.length} tables, ${result.manifest.tables.reduce((n, t) => n + t.rows, 0)} rows`);
        printResult(json, result, lines.join('\n'));
      }),
    )
    .command(
      'import',
      'import a dump into a server you hold',
      (y) =>
        y
          .option('dump', { type: 'string', demandOption: true, describe: 'the input: .sql, .sql.gz, - (stdin), a dumpdata .json fixture, or a CSV directory' })
          .option('engine-url', { type: 'string', demandOption: true, describe: 'mysql://user@host:port/db' })
          .option('threads', { type: 'number', describe: 'import connections (default: one per core)' })
          .option('importer', { choices: ['native', 'client'] as const })
          .option('schema', { type: 'string', describe: 'schema SQL for a JSON fixture or CSV directory' })
          .example('$0 import --dump prod.sql.gz --engine-url mysql://root@127.0.0.1:3306/scratch', '')
          .example('$0 import --dump fixture.json --schema schema.sql --engine-url mysql://root@127.0.0.1:3306/scratch', 'a Django dumpdata fixture'),
      handle(async (a, reporter, signal) => {
        const [externalEngine, { importStandalone }] = await Promise.all([load.external(), load.hooks()]);
        const server = await externalEngine.start({ dir: '.', database: '', url: a.engineUrl! });
        const r = await importStandalone({ server, dump: a.dump!, threads: validateThreads(a.threads), importer: (a.importer as 'native' | 'client') ?? 'native', signal, reporter, ...(a.schema ? { schemaFile: a.schema } : {}) });
        printResult(json, r, `drydock: imported ${a.dump} into ${server.address.database}`);
      }),
    )
    .command(
      'migrate',
      'apply a transform pack (or a SQL migration file) in small checkpointed batches',
      (y) =>
        migrateOpts(y)
          .option('dry-run', { type: 'boolean', describe: 'print the plan only (= drydock plan)' })
          .example('$0 migrate --engine-url mysql://root@127.0.0.1/pw --to 2.1', 'Patchwork 1.0 → 2.1')
          .example('$0 migrate --engine-url mysql://root@127.0.0.1/pw --drop-project lkml', 'purge one project safely'),
      handle(async (a, reporter, signal) => {
        const opts = migrateFlags(a);
        const [externalEngine, { planStandalone, migrateStandalone }] = await Promise.all([load.external(), load.hooks()]);
        const server = await externalEngine.start({ dir: '.', database: '', url: a.engineUrl! });
        if (a.dryRun) {
          const text = await planStandalone({ server, ...opts, json });
          process.stdout.write(text + '\n');
          return;
        }
        const r = await migrateStandalone({ server, ...opts, signal, reporter });
        printResult(json, r, `drydock: migrated ${server.address.database}`);
      }),
    )
    .command(
      'plan',
      'print the migration plan (steps, estimated rows, batches, largest transaction, merged DDL) without running it',
      (y) => migrateOpts(y).example('$0 plan --engine-url mysql://root@127.0.0.1/pw --drop-project lkml', ''),
      handle(async (a) => {
        const opts = migrateFlags(a);
        const [externalEngine, { planStandalone }] = await Promise.all([load.external(), load.hooks()]);
        const server = await externalEngine.start({ dir: '.', database: '', url: a.engineUrl! });
        const text = await planStandalone({ server, ...opts, json });
        process.stdout.write(text + '\n');
      }),
    )
    .command(
      'export',
      'write the database as a fresh dump plus manifest',
      (y) =>
        y
          .option('engine-url', { type: 'string', demandOption: true })
          .option('out', { type: 'string', demandOption: true })
          .option('format', { choices: ['sql', 'csv'] as const, default: 'sql' as const, describe: 'sql: one mysqldump-compatible file; csv: <table>.csv + schema.sql for LOAD DATA' })
          .example('$0 export --engine-url mysql://root@127.0.0.1/pw --out out/', '')
          .example('$0 export --engine-url mysql://root@127.0.0.1/pw --out out-csv/ --format csv', ''),
      handle(async (a, _reporter, signal) => {
        const [externalEngine, { exportDump }] = await Promise.all([load.external(), load.export()]);
        const server = await externalEngine.start({ dir: '.', database: '', url: a.engineUrl! });
        const m = await exportDump({ address: server.address, out: a.out!, serverVersion: server.version, flavor: server.flavor, format: (a.format as 'sql' | 'csv') ?? 'sql', signal });
        printResult(json, m, `drydock: exported ${m.tables.length} tables to ${a.out}`);
      }),
    )
    .command(
      'reimport',
      'load an export into production safely: a staging database, verification against the manifest, one atomic RENAME swap, the old tables kept for rollback',
      (y) =>
        y
          .option('from', { type: 'string', demandOption: true, describe: 'the export directory (with manifest.json)' })
          .option('engine-url', { type: 'string', demandOption: true, describe: 'the production server and live database (password: MYSQL_PWD)' })
          .option('staging-database', { type: 'string', describe: 'default <db>_drydock_new' })
          .option('backup-database', { type: 'string', describe: 'default <db>_drydock_old' })
          .option('threads', { type: 'number' })
          .option('loader', { choices: ['auto', 'native', 'client'] as const, describe: 'auto: native unless that would keep rows from the replicas' })
          .option('force', { type: 'boolean', describe: 'discard what the backup database holds from an earlier swap' })
          .option('swap', { type: 'boolean', default: true, describe: '--no-swap: load and verify only' })
          .option('rename-lock-wait', { type: 'number', describe: 'seconds the RENAME may wait for locks (default 10)' })
          .example('$0 reimport --from out/ --engine-url mysql://admin@db1:3306/patchwork --no-swap', 'stage and verify, look, then run again without --no-swap')
          .example('$0 rollback --engine-url mysql://admin@db1:3306/patchwork', 'undo the swap'),
      handle(async (a, reporter, signal) => {
        const address = productionAddress(a.engineUrl!);
        const { reimport } = await load.reimport();
        const r = await reimport({
          address,
          from: a.from!,
          signal,
          onEvent: (e) => reporter.event({ ...e, type: String(e.type), stage: 'reimport' }),
          swap: a.swap !== false,
          ...(a.stagingDatabase ? { stagingDatabase: a.stagingDatabase } : {}),
          ...(a.backupDatabase ? { backupDatabase: a.backupDatabase } : {}),
          ...(a.threads !== undefined ? { threads: validateThreads(a.threads) } : {}),
          ...(a.loader ? { loader: a.loader as 'auto' | 'native' | 'client' } : {}),
          ...(a.force ? { force: true } : {}),
          ...(a.renameLockWait !== undefined ? { renameLockWaitSeconds: a.renameLockWait } : {}),
        });
        printResult(json, r, r.swapped ? `drydock: swapped ${address.database} (old tables in the backup database; \`drydock rollback\` undoes it)` : `drydock: staged and verified; run again without --no-swap to swap`);
      }),
    )
    .command(
      'rollback',
      'undo a reimport swap: the backup tables go live again in one atomic RENAME',
      (y) =>
        y
          .option('engine-url', { type: 'string', demandOption: true })
          .option('staging-database', { type: 'string' })
          .option('backup-database', { type: 'string' })
          .option('rename-lock-wait', { type: 'number' }),
      handle(async (a, reporter) => {
        const address = productionAddress(a.engineUrl!);
        const { rollback } = await load.reimport();
        const r = await rollback({
          address,
          onEvent: (e) => reporter.event({ ...e, type: String(e.type), stage: 'reimport' }),
          ...(a.stagingDatabase ? { stagingDatabase: a.stagingDatabase } : {}),
          ...(a.backupDatabase ? { backupDatabase: a.backupDatabase } : {}),
          ...(a.renameLockWait !== undefined ? { renameLockWaitSeconds: a.renameLockWait } : {}),
        });
        printResult(json, r, `drydock: rolled back ${address.database}`);
      }),
    )
    .command(
      'cleanup',
      'drop the backup (and staging) database of a reimport once you are satisfied; never automatic',
      (y) =>
        y
          .option('engine-url', { type: 'string', demandOption: true })
          .option('staging-database', { type: 'string' })
          .option('backup-database', { type: 'string' })
          .option('keep-staging', { type: 'boolean' })
          .option('keep-backup', { type: 'boolean' }),
      handle(async (a, reporter) => {
        const address = productionAddress(a.engineUrl!);
        const { cleanup } = await load.reimport();
        const r = await cleanup({
          address,
          onEvent: (e) => reporter.event({ ...e, type: String(e.type), stage: 'reimport' }),
          backup: !a.keepBackup,
          staging: !a.keepStaging,
          ...(a.stagingDatabase ? { stagingDatabase: a.stagingDatabase } : {}),
          ...(a.backupDatabase ? { backupDatabase: a.backupDatabase } : {}),
        });
        printResult(json, r, `drydock: cleaned up after ${address.database}`);
      }),
    )
    .command(
      'generate',
      'write a seeded Patchwork database dump with a production shape',
      (y) =>
        y
          .option('patches', { type: 'number', demandOption: true })
          .option('version', { type: 'string', default: '1.0' })
          .option('out', { type: 'string', demandOption: true })
          .option('seed', { type: 'number' })
          .option('null-state-patches', { type: 'number', describe: 'patches with a NULL state (the 0010 trap)' })
          .example('$0 generate --patches 200000 --version 1.0 --out pw-200k.sql', ''),
      handle(async (a) => {
        if (!Number.isInteger(a.patches) || a.patches! < 1) throw new ConfigError(`--patches must be a whole number ≥ 1 (got ${a.patches})`);
        const { generatePatchworkToFile } = await load.generate();
        const s = await generatePatchworkToFile(
          { patches: a.patches!, version: a.version as '1.0', ...(a.seed !== undefined ? { seed: a.seed } : {}), ...(a.nullStatePatches !== undefined ? { nullStatePatches: a.nullStatePatches } : {}) },
          a.out!,
        );
        printResult(json, s, `drydock: wrote ${a.out} (${(s.bytes / 1e6).toFixed(1)} MB)`);
      }),
    )
    .command('engine', 'start or stop a standalone scratch server', (y) =>
      y
        .command(
          'start',
          'start a local scratch server that keeps running',
          (z) => engineOpts(z).option('dir', { type: 'string', default: join(DEFAULT_RUNS_ROOT, 'server'), describe: 'server directory' }).option('database', { type: 'string', default: DEFAULT_DATABASE }),
          handle(async (a, reporter, signal) => {
            const opts = parseServerOptions(a.serverOption);
            const [{ engineFor }, { keepServerMessage }] = await Promise.all([load.engines(), load.run()]);
            const s = await engineFor(a.engine ?? 'local').start({
              dir: resolve(a.dir!),
              database: a.database!,
              keep: true,
              tcp: !!a.tcp,
              signal,
              ...(opts ? { options: opts } : {}),
              ...(a.image ? { image: a.image } : {}),
              ...(a.serverMemory ? { memoryBytes: parseSize(a.serverMemory, '--server-memory') } : {}),
            });
            reporter.event({ type: 'keep-server', message: keepServerMessage(s) });
            printResult(json, { url: s.address.socket ? `mysql://root@localhost/${s.address.database}?socket=${s.address.socket}` : `mysql://root@127.0.0.1:${s.address.port}/${s.address.database}`, pid: s.pid, version: s.version }, `mysql://root@localhost/${s.address.database}?socket=${s.address.socket ?? ''}`);
          }),
        )
        .command(
          'stop',
          'stop a server started with `engine start`',
          (z) => z.option('dir', { type: 'string', default: join(DEFAULT_RUNS_ROOT, 'server') }),
          handle(async (a) => {
            mkdirSync(resolve(a.dir!), { recursive: true });
            const { stopLeftover } = await load.local();
            await stopLeftover(join(resolve(a.dir!), 'mysqld.pid'));
            printResult(json, { stopped: true }, 'drydock: server stopped');
          }),
        )
        .demandCommand(1, 'say start or stop'),
    )
    .demandCommand(0)
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      throw err ?? new ConfigError(msg);
    });

  try {
    await cli.parseAsync();
  } catch (err) {
    exit = exitCodeFor(err);
    const e = err as Error;
    if (json) {
      process.stdout.write(redact(JSON.stringify({ ok: false, error: { type: e.name, message: e.message, ...(err instanceof PipelineError ? { stage: err.stage, hint: err.hint } : {}) } }, null, 2)) + '\n');
    }
    process.stderr.write(redact(`drydock: ${e.name === 'AbortError' ? 'interrupted' : 'error'}: ${e.message}\n`));
    if (err instanceof PipelineError && err.hint) process.stderr.write(redact(`  what to do: ${err.hint}\n`));
    if (!(err instanceof PipelineError) && e.name !== 'AbortError' && process.env['DRYDOCK_DEBUG']) process.stderr.write(String(e.stack) + '\n');
  }
  return exit;
}

/** A production server: never created or changed by connecting (unlike a scratch server). */
function productionAddress(url: string) {
  const address = resolvePassword(parseServerUrl(url));
  registerSecret(address.password);
  return address;
}

function migrateFlags(a: ArgumentsCamelCase<Flags>) {
  return {
    ...validateBatch(a.batchRows, a.batchSeconds),
    allowUnbatched: !!a.allowUnbatched,
    ...(a.pack ? { pack: a.pack } : {}),
    ...(a.to ? { to: a.to } : {}),
    ...(a.sql ? { sqlFile: a.sql } : {}),
    ...(a.nullState ? { nullState: a.nullState } : {}),
    ...(a.dropProject ? { dropProject: a.dropProject } : {}),
  };
}

process.exitCode = await main(hideBin(process.argv));
