import type { ServerAddress } from '../db/url.js';

export type Flavor = 'mariadb' | 'mysql';
export type EngineName = 'local' | 'docker' | 'external';

/** What to start: the configured thing, before it runs. */
export interface ServerSpec {
  /** Directory that holds the server's datadir, socket, config and logs (the run directory's `server/`). */
  dir: string;
  /** Listen on a free loopback TCP port as well as the socket (default: socket only). */
  tcp?: boolean;
  /** Extra server options, e.g. `{ innodb_buffer_pool_size: '8M' }`; they override the bulk-load defaults. */
  options?: Record<string, string | number>;
  /** Memory the server may plan for, in bytes (default: from the machine). */
  memoryBytes?: number;
  /** Database to create (if missing) and to point `address` at. */
  database: string;
  /** Docker image for the docker engine. */
  image?: string;
  /** External server URL for the external engine. */
  url?: string;
  signal?: AbortSignal;
  /** Leave the server running after drydock exits (`--keep-server`, `engine start`); `stop()` still stops it. */
  keep?: boolean;
}

/** The running handle. */
export interface StartedServer {
  engine: EngineName;
  address: ServerAddress;
  flavor: Flavor;
  /** e.g. `10.11.19-MariaDB-0+deb12u1` */
  version: string;
  /** Server process id, when drydock started it on this machine. */
  pid?: number;
  /** Error log path, when known: quoted in messages when the server dies. */
  errorLog?: string;
  /** Set when the server process exited while we held it. */
  exited(): { code: number | null; signal: string | null } | undefined;
  /** Stops the server if drydock started it (an external server is left alone). Idempotent. */
  stop(): Promise<void>;
}

export interface Engine {
  name: EngineName;
  start(spec: ServerSpec): Promise<StartedServer>;
}

export function flavorOf(version: string): Flavor {
  return /mariadb/i.test(version) ? 'mariadb' : 'mysql';
}
