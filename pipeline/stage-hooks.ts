/**
 * Wires the stage implementations into `run` and the stand-alone sub-commands, so both use the
 * same importer and migration runner.
 */
import { StageError } from './errors.js';
import type { StartedServer } from './engine/engine.js';
import type { Reporter } from './report/reporter.js';
import type { StageHooks } from './run.js';
import { importWithClient } from './stages/import-client.js';

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

export async function importStandalone(o: { server: StartedServer; dump: string; threads: number; importer: 'native' | 'client'; signal: AbortSignal; reporter: Reporter }): Promise<Record<string, unknown>> {
  const r = await importWithClient({ address: o.server.address, dump: o.dump, signal: o.signal, onEvent: (e) => o.reporter.event({ ...e, stage: 'import' }) });
  return { importer: 'client', bytes: r.bytes, seconds: r.seconds };
}

export async function migrateStandalone(_o: { server: StartedServer; signal: AbortSignal; reporter: Reporter } & MigrateFlags): Promise<Record<string, unknown>> {
  throw new StageError('migrate', 'the migration runner is not part of this build yet', { hint: 'use drydock run without --to' });
}

export async function planStandalone(_o: { server: StartedServer; json: boolean } & MigrateFlags): Promise<string> {
  throw new StageError('migrate', 'the migration planner is not part of this build yet', { hint: 'use drydock run without --to' });
}

export function defaultHooks(): StageHooks {
  return {
    importNative: async (o) => importStandalone({ ...o, importer: 'native' }),
    migrate: async ({ config }) => {
      if (config.pack === 'none') return { status: 'skipped', detail: { reason: '--pack none' }, touchedTables: [] };
      return { status: 'skipped', detail: { reason: 'no migration runner in this build' }, touchedTables: [] };
    },
  };
}
