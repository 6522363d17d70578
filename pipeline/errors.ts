/**
 * drydock's error types. Each is a failure a user can act on: the message says what failed and
 * where, `hint` says what to do. Only pipeline/cli.ts maps them to exit codes.
 */

export type StageName =
  | 'engine'
  | 'import'
  | 'migrate'
  | 'verify'
  | 'export'
  | 'reimport'
  | 'sample'
  | 'generate'
  | 'bench'
  | 'config';

/** Where in an input file a problem was found. Offsets are bytes from the start of the (decompressed) stream. */
export interface InputLocation {
  file: string;
  offset: number;
  line: number;
}

export class PipelineError extends Error {
  override name = 'PipelineError';
  readonly stage: StageName;
  readonly hint: string | undefined;
  constructor(stage: StageName, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.stage = stage;
    this.hint = opts.hint;
  }
}

/** Bad flags or an inconsistent configuration: fix the command line. */
export class ConfigError extends PipelineError {
  override name = 'ConfigError';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('config', message, opts);
  }
}

/** A stage failed while running (server error, dead server, killed child). */
export class StageError extends PipelineError {
  override name = 'StageError';
}

/** The input dump is malformed; carries the exact place. */
export class DumpError extends PipelineError {
  override name = 'DumpError';
  readonly location: InputLocation;
  readonly table: string | undefined;
  readonly excerpt: string | undefined;
  constructor(
    message: string,
    location: InputLocation,
    opts: { hint?: string; cause?: unknown; table?: string; excerpt?: string } = {},
  ) {
    // A negative offset means unknown (the mysql client reports lines only).
    const where = location.offset >= 0 ? `${location.file} at byte ${location.offset}, line ${location.line}` : `${location.file}, line ${location.line}`;
    const table = opts.table ? `, table ${opts.table}` : '';
    const excerpt = opts.excerpt ? `\n  statement starts: ${opts.excerpt}` : '';
    super('import', `${message} (${where}${table})${excerpt}`, opts);
    this.location = location;
    this.table = opts.table;
    this.excerpt = opts.excerpt;
  }
}

/** The result does not hold what it must: never present it as complete. */
export class VerificationError extends PipelineError {
  override name = 'VerificationError';
}

/** Exit codes: 0 only on full success. */
export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  config: 2,
  input: 3,
  verification: 4,
  interrupted: 130,
} as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof ConfigError) return EXIT_CODES.config;
  if (err instanceof DumpError) return EXIT_CODES.input;
  if (err instanceof VerificationError) return EXIT_CODES.verification;
  if (err instanceof Error && err.name === 'AbortError') return EXIT_CODES.interrupted;
  return EXIT_CODES.failure;
}
