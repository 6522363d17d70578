/**
 * The `external` engine: a scratch server someone else runs (a big VM, a managed instance) given by
 * URL. drydock never stops it; the password comes from MYSQL_PWD, never from argv.
 */
import { StageError } from '../errors.js';
import { prepareDatabase } from '../db/connection.js';
import { parseServerUrl, resolvePassword, formatServerUrl } from '../db/url.js';
import { registerSecret } from '../redact.js';
import { flavorOf } from './engine.js';
import type { Engine, ServerSpec, StartedServer } from './engine.js';

export const externalEngine: Engine = {
  name: 'external',
  async start(spec: ServerSpec): Promise<StartedServer> {
    if (!spec.url) throw new StageError('engine', 'the external engine needs --engine-url', { hint: 'pass --engine-url mysql://user@host:port/db' });
    const address = resolvePassword(parseServerUrl(spec.url));
    registerSecret(address.password);
    let version: string;
    try {
      version = await prepareDatabase(address);
    } catch (err) {
      throw new StageError('engine', `cannot connect to ${formatServerUrl(address)}: ${(err as Error).message}`, {
        hint: 'check that the server runs and the user may connect (password in MYSQL_PWD) and may create the database',
        cause: err,
      });
    }
    return {
      engine: 'external',
      address,
      flavor: flavorOf(version),
      version,
      exited: () => undefined,
      stop: async () => {},
    };
  },
};
