/**
 * Runs one drydock operation in its own process, so the benchmark measures drydock's memory alone:
 *
 *   node --import tsx scripts/bench/drydock-child.ts < job.json
 *
 * The job comes on stdin (an address may carry a password; argv is visible in `ps`). Prints one
 * JSON line with the stage's result on stdout. `replay` is the migrate baseline: the same plan,
 * each step as one statement over the whole table (`{range}` → the driving filter or `1=1`).
 */
import { text } from 'node:stream/consumers';
import { performance } from 'node:perf_hooks';
import type { ResultSetHeader } from 'mysql2/promise';
import type { ServerAddress } from '../../pipeline/db/url.js';
import type { Pack } from '../../transforms/core/pack.js';
import { RANGE_PLACEHOLDER } from '../../transforms/core/step.js';

export type ChildJob =
  | { op: 'import'; address: ServerAddress; dump: string; threads: number }
  | { op: 'migrate'; address: ServerAddress; to: string }
  | { op: 'replay'; address: ServerAddress; to: string }
  | { op: 'export'; address: ServerAddress; out: string; serverVersion: string; flavor: string };

// Each operation loads only its own stage, as the CLI's commands do: the measured start-up is then
// what `drydock import` (or export, or migrate) costs, not the loading of every stage.
const stages = {
  import: () => import('../../pipeline/stages/import.js'),
  export: () => import('../../pipeline/stages/export.js'),
  migrate: () => import('../../pipeline/stages/migrate.js'),
  connection: () => import('../../pipeline/db/connection.js'),
};

/** Loaded lazily: the pack may not exist yet in a checkout, and only migrate needs it. */
async function patchworkPack(): Promise<Pack> {
  const m = (await import('../../transforms/patchwork/pack.js')) as { patchworkPack: Pack };
  return m.patchworkPack;
}

async function migrateOptions(address: ServerAddress, pack: Pack, to: string) {
  const { DEFAULT_BATCH_ROWS, DEFAULT_BATCH_SECONDS } = await stages.migrate();
  return {
    address,
    pack,
    planOptions: { to, batchRows: DEFAULT_BATCH_ROWS },
    batchRows: DEFAULT_BATCH_ROWS,
    batchSeconds: DEFAULT_BATCH_SECONDS,
    allowUnbatched: false,
  };
}

async function run(job: ChildJob): Promise<Record<string, unknown>> {
  switch (job.op) {
    case 'import': {
      const { importDump } = await stages.import();
      const r = await importDump({ address: job.address, dump: job.dump, threads: job.threads });
      return { rows: r.tables.reduce((n, t) => n + t.rows, 0), bytes: r.bytes, seconds: r.seconds };
    }
    case 'migrate': {
      const { runMigration } = await stages.migrate();
      const r = await runMigration(await migrateOptions(job.address, await patchworkPack(), job.to));
      if (r.status !== 'done') throw new Error(`migration ${r.status}: ${r.error?.message ?? ''}`);
      return {
        steps: r.steps.length,
        batches: r.steps.reduce((n, s) => n + s.batches, 0),
        rows: r.steps.reduce((n, s) => n + s.rows, 0),
        largestTransaction: Math.max(0, ...r.steps.map((s) => s.largestTransaction)),
        seconds: r.seconds,
        stepSeconds: Object.fromEntries(r.steps.map((s) => [s.id, Math.round(s.seconds * 1000) / 1000])),
      };
    }
    case 'replay': {
      const [{ planMigration }, { connect }] = await Promise.all([stages.migrate(), stages.connection()]);
      const plan = await planMigration({ ...(await migrateOptions(job.address, await patchworkPack(), job.to)), allowUnbatched: true });
      const conn = await connect(job.address);
      let largest = 0;
      let rows = 0;
      const stepSeconds: Record<string, number> = {};
      const note = (r: unknown) => {
        const n = (r as ResultSetHeader).affectedRows ?? 0;
        rows += n;
        largest = Math.max(largest, n);
      };
      try {
        for (const { step: s } of plan.steps) {
          const t0 = performance.now();
          if (s.kind === 'batched') {
            const range = s.driving.where ? `(${s.driving.where})` : '1=1';
            note((await conn.query(s.sql.replace(RANGE_PLACEHOLDER, range), s.params ?? []))[0]);
          } else if (s.kind === 'ddl') {
            for (const sql of s.statements) await conn.query(sql);
          } else {
            for (const [i, sql] of s.statements.entries()) note((await conn.query(sql, s.params?.[i] ?? []))[0]);
          }
          stepSeconds[s.id] = Math.round(performance.now() - t0) / 1000;
        }
      } finally {
        await conn.end();
      }
      return { steps: plan.steps.length, rows, largestTransaction: largest, stepSeconds };
    }
    case 'export': {
      const { exportDump } = await stages.export();
      const m = await exportDump({ address: job.address, out: job.out, serverVersion: job.serverVersion, flavor: job.flavor });
      return { tables: m.tables.length, rows: m.tables.reduce((n, t) => n + t.rows, 0), bytes: m.files.reduce((n, f) => n + f.bytes, 0) };
    }
  }
}

const job = JSON.parse(await text(process.stdin)) as ChildJob;
try {
  process.stdout.write(JSON.stringify(await run(job)) + '\n');
} catch (err) {
  process.stderr.write(`drydock ${job.op} failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
