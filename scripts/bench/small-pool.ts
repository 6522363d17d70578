/**
 * The postmortem's server, reproduced: Patchwork 1.0 → 2.1 on a server with an 8 MB buffer pool.
 * An unbatched replay of the pack's statements (what Django's migrations do: one statement per
 * data move over the whole table) is expected to die with ER_LOCK_TABLE_FULL (1206); drydock's
 * batched run of the same plan must complete on the same server and data.
 *
 *   npx tsx scripts/bench/small-pool.ts --patches 200000 [--pool 8M]
 *
 * Both start from one imported datadir (loaded once with normal settings, then copied), so they
 * see the same bytes. Writes bench/results/small-pool-<date>.json and .md.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { localEngine } from '../../pipeline/engine/local.js';
import type { StartedServer } from '../../pipeline/engine/engine.js';
import { connect } from '../../pipeline/db/connection.js';
import { importDump } from '../../pipeline/stages/import.js';
import { planContext, runMigration } from '../../pipeline/stages/migrate.js';

import { patchworkPack } from '../../transforms/patchwork/pack.js';
import { RANGE_PLACEHOLDER } from '../../transforms/core/step.js';
import { generatePatchworkToFile } from '../../transforms/patchwork/generate.js';

const argv = await yargs(hideBin(process.argv))
  .option('patches', { type: 'number', default: 200_000 })
  .option('pool', { type: 'string', default: '8M' })
  .option('batch-rows', { type: 'number', default: 5000 })
  .option('work', { type: 'string', default: 'bench/work' })
  .strict()
  .parse();

const work = resolve(argv.work);
const dump = join(work, `patchwork-1.0-n${argv.patches}-seed1`, 'dump.sql');
const base = join(work, `small-pool-n${argv.patches}`);
const GiB = 1024 ** 3;
const small = { innodb_buffer_pool_size: argv.pool };

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value?: T; error?: string }> {
  const t = Date.now();
  try {
    const value = await fn();
    return { seconds: (Date.now() - t) / 1000, value };
  } catch (err) {
    return { seconds: (Date.now() - t) / 1000, error: (err as Error).message };
  }
}

if (!existsSync(dump)) {
  mkdirSync(join(work, `patchwork-1.0-n${argv.patches}-seed1`), { recursive: true });
  console.log(`generating ${dump}`);
  await generatePatchworkToFile({ patches: argv.patches, version: '1.0', seed: 1 }, dump);
}

// One import with normal settings, then two copies of the stopped datadir.
rmSync(base, { recursive: true, force: true });
const loadDir = join(base, 'load');
let s: StartedServer = await localEngine.start({ dir: loadDir, database: 'pw', memoryBytes: 4 * GiB });
console.log('importing with normal settings…');
await importDump({ address: s.address, dump });
await s.stop();
for (const name of ['unbatched', 'drydock']) cpSync(loadDir, join(base, name), { recursive: true });
rmSync(loadDir, { recursive: true, force: true });

console.log(`unbatched replay on a ${argv.pool} buffer pool…`);
s = await localEngine.start({ dir: join(base, 'unbatched'), database: 'pw', memoryBytes: 4 * GiB, options: small });
let failedAt: string | undefined;
const unbatched = await timed(async () => {
  const c = await connect(s.address);
  try {
    const ctx = await planContext(c, 'pw', { batchRows: argv.batchRows, to: '2.1' });
    for (const step of await patchworkPack.plan(ctx)) {
      failedAt = step.id;
      if (step.kind === 'batched') await c.query(step.sql.replace(RANGE_PLACEHOLDER, step.driving.where ? `(${step.driving.where})` : '1=1'), step.params ?? []);
      else if (step.kind === 'ddl') for (const q of step.statements) await c.query(q);
      else for (const [i, q] of step.statements.entries()) await c.query(q, step.params?.[i] ?? []);
    }
    failedAt = undefined;
  } finally {
    await c.end();
  }
});
await s.stop();

console.log(`drydock on a ${argv.pool} buffer pool…`);
s = await localEngine.start({ dir: join(base, 'drydock'), database: 'pw', memoryBytes: 4 * GiB, options: small });
const batched = await timed(() =>
  runMigration({ address: s.address, pack: patchworkPack, planOptions: { batchRows: argv.batchRows, to: '2.1' }, batchRows: argv.batchRows, batchSeconds: 0.5, allowUnbatched: false }),
);
await s.stop();
rmSync(base, { recursive: true, force: true });

const r = batched.value;
const result = {
  date: new Date().toISOString(),
  patches: argv.patches,
  bufferPool: argv.pool,
  unbatched: { seconds: unbatched.seconds, completed: !unbatched.error && !failedAt, error: unbatched.error ?? null, failedAtStep: failedAt ?? null },
  drydock: {
    seconds: batched.seconds,
    status: r?.status ?? 'error',
    error: batched.error ?? r?.error?.message ?? null,
    largestTransaction: r ? Math.max(0, ...r.steps.map((x) => x.largestTransaction)) : null,
    transactions: r ? r.steps.reduce((n, x) => n + x.batches, 0) : null,
  },
};
const day = result.date.slice(0, 10);
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/small-pool-${day}.json`, JSON.stringify(result, null, 2) + '\n');
const md = [
  `# Patchwork 1.0 → 2.1 on a ${argv.pool} buffer pool, ${argv.patches.toLocaleString('en-US')} patches (${day})`,
  '',
  '| run | result | wall s | largest transaction |',
  '|---|---|---:|---:|',
  `| unbatched replay (Django's way) | ${result.unbatched.completed ? 'completed' : `failed at ${result.unbatched.failedAtStep}: ${String(result.unbatched.error).slice(0, 120)}`} | ${unbatched.seconds.toFixed(1)} | whole table |`,
  `| drydock (batched, ${argv.batchRows} rows) | ${result.drydock.status} | ${batched.seconds.toFixed(1)} | ${result.drydock.largestTransaction ?? '-'} |`,
  '',
  `Command: \`npx tsx scripts/bench/small-pool.ts --patches ${argv.patches} --pool ${argv.pool}\``,
  '',
].join('\n');
writeFileSync(`bench/results/small-pool-${day}.md`, md);
console.log(md);
process.exit(result.drydock.status === 'done' ? 0 : 1);
