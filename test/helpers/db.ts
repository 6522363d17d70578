/**
 * Integration tests share the one server test/run.ts started; each test file gets its own database.
 * `skip` is a reason string when no server is available, for `test(name, { skip }, fn)`.
 */
import type { Connection } from 'mysql2/promise';
import { connect, qid } from '../../pipeline/db/connection.js';
import type { ServerAddress } from '../../pipeline/db/url.js';

const socket = process.env['DRYDOCK_TEST_SOCKET'];

/** A reason to skip, or false when a test server runs. */
export const skip: string | false = socket
  ? false
  : `no test server: ${process.env['DRYDOCK_TEST_NO_SERVER'] ?? 'run the suite with `npm test`, which starts one'}`;

export function serverAddress(database: string): ServerAddress {
  if (!socket) throw new Error(String(skip));
  return { user: 'root', host: 'localhost', port: 0, socket, database };
}

export interface TestDatabase {
  address: ServerAddress;
  conn: Connection;
  /** Drops and re-creates the database (empty). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Creates (fresh) the database `name` on the test server and returns a connection to it. */
export async function testDatabase(name: string): Promise<TestDatabase> {
  const address = serverAddress(name);
  const admin = await connect(address, null);
  const reset = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${qid(name)}`);
    await admin.query(`CREATE DATABASE ${qid(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  };
  await reset();
  const conn = await connect(address);
  return {
    address,
    conn,
    reset: async () => {
      await reset();
      await conn.changeUser({ database: name });
    },
    async close() {
      await conn.end();
      await admin.end();
    },
  };
}
