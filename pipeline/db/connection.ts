import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { Connection, ConnectionOptions, Pool, PoolOptions } from 'mysql2/promise';
import type { ServerAddress } from './url.js';

/** mysql2 options for an address. Dates and big numbers stay strings: rows are compared and copied, never computed on. */
export function connectionOptions(a: ServerAddress, database: string | null = a.database): ConnectionOptions {
  const opts: ConnectionOptions = {
    user: a.user,
    charset: 'UTF8MB4_GENERAL_CI',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    multipleStatements: false,
    connectTimeout: 20_000,
  };
  if (database) opts.database = database;
  if (a.password !== undefined) opts.password = a.password;
  if (a.socket) opts.socketPath = a.socket;
  else {
    opts.host = a.host;
    opts.port = a.port;
  }
  return opts;
}

export async function connect(a: ServerAddress, database: string | null = a.database): Promise<Connection> {
  return mysql.createConnection(connectionOptions(a, database));
}

export function createPool(a: ServerAddress, size: number, database: string | null = a.database): Pool {
  const opts: PoolOptions = { ...connectionOptions(a, database), connectionLimit: size, waitForConnections: true };
  return mysql.createPool(opts);
}

/** The rows a query returns, typed by the caller (placeholders are sent to the server as values). */
export async function queryRows<T = Record<string, unknown>>(c: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await c.query(sql, params);
  return r as T[];
}

/**
 * A SQL string literal (backslashes and quotes escaped), for statements that take no parameters,
 * such as the "already applied" probes of DDL steps.
 */
export function sqlLiteral(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * A GET_LOCK name `<prefix>:<key>`: MySQL 5.7+ limits names to 64 characters, so a long key is
 * replaced by (the start of) its sha256.
 */
export function namedLockName(prefix: string, key: string): string {
  const name = `${prefix}:${key}`;
  return name.length <= 64 ? name : `${prefix}:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** Quotes an identifier for MySQL/MariaDB. */
export function qid(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

/** Server error codes that mean the connection or the server is gone, not that the statement was wrong. */
export function isConnectionLost(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return (
    code === 'PROTOCOL_CONNECTION_LOST' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ENOENT' ||
    code === 'EPIPE' ||
    code === 'ER_SERVER_SHUTDOWN' ||
    code === 'ER_CONNECTION_KILLED' ||
    code === 'PROTOCOL_SEQUENCE_TIMEOUT'
  );
}

/**
 * Connects without a database, reads the server's version and creates the scratch database if it
 * is missing (utf8mb4_general_ci, what Patchwork's references use). Every engine ends its start-up here.
 */
export async function prepareDatabase(a: ServerAddress): Promise<string> {
  const c = await connect(a, null);
  try {
    const [rows] = await c.query('SELECT VERSION() AS v');
    await c.query(`CREATE DATABASE IF NOT EXISTS ${qid(a.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    return String((rows as Array<{ v: string }>)[0]?.v ?? '');
  } finally {
    await c.end();
  }
}
