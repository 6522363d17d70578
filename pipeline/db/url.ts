import { ConfigError } from '../errors.js';

/** Where a server is and who we are there. The password never comes from a URL or argv. */
export interface ServerAddress {
  user: string;
  host: string;
  port: number;
  socket?: string;
  database: string;
  /** Taken from the environment (MYSQL_PWD) by `resolvePassword`; never printed. */
  password?: string;
}

export const DEFAULT_PORT = 3306;

/**
 * Parses `mysql://user@host:port/db` or `mysql://user@localhost/db?socket=/path`.
 * A password in the URL is refused: URLs end up in argv, shell history and logs.
 */
export function parseServerUrl(url: string): ServerAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`--engine-url '${maskUrl(url)}' is not a URL`, {
      hint: 'use mysql://user@host:port/db or mysql://user@localhost/db?socket=/path/to/mysqld.sock',
    });
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
    throw new ConfigError(`--engine-url must start with mysql:// (got ${u.protocol}//)`, {
      hint: 'use mysql://user@host:port/db',
    });
  }
  if (u.password) {
    throw new ConfigError('--engine-url contains a password; passwords on a command line are visible to every user in `ps`', {
      hint: 'remove it from the URL and set MYSQL_PWD in the environment instead',
    });
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) {
    throw new ConfigError(`--engine-url '${maskUrl(url)}' names no database`, {
      hint: 'add the database as the URL path: mysql://user@host:3306/patchwork',
    });
  }
  const socket = u.searchParams.get('socket') ?? undefined;
  const addr: ServerAddress = {
    user: decodeURIComponent(u.username || 'root'),
    host: u.hostname || 'localhost',
    port: u.port ? Number(u.port) : DEFAULT_PORT,
    database,
  };
  if (socket) addr.socket = socket;
  return addr;
}

/** Formats an address as a URL (never with a password). */
export function formatServerUrl(a: ServerAddress): string {
  const base = `mysql://${encodeURIComponent(a.user)}@${a.host}${a.socket ? '' : `:${a.port}`}/${encodeURIComponent(a.database)}`;
  return a.socket ? `${base}?socket=${a.socket}` : base;
}

/** Returns the address with the password from the environment, if one is set there. */
export function resolvePassword(a: ServerAddress, env: NodeJS.ProcessEnv = process.env): ServerAddress {
  const pwd = env['MYSQL_PWD'];
  return pwd ? { ...a, password: pwd } : a;
}

/** Hides a password in any URL-like text (defence in depth: we refuse them, but users paste them anyway). */
export function maskUrl(text: string): string {
  return text.replace(/(\w+:\/\/[^:/@\s]*):[^@\s]*@/g, '$1:***@');
}
