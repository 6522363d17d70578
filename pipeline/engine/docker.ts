/**
 * The `docker` engine: the server in a container through testcontainers, image selectable
 * (`--image mariadb:10.11`, `mysql:8.0`), with docker/bulk-load.cnf mounted as its config.
 * Our own machines and CI have no Docker engine; this engine is for operators' machines that do.
 */
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { StageError } from '../errors.js';
import { registerSecret } from '../redact.js';
import type { ServerAddress } from '../db/url.js';
import { prepareDatabase } from '../db/connection.js';
import { flavorOf } from './engine.js';
import type { Engine, ServerSpec, StartedServer } from './engine.js';

export const DEFAULT_IMAGE = 'mariadb:10.11';
export const BULK_LOAD_CNF = fileURLToPath(new URL('../../docker/bulk-load.cnf', import.meta.url));

/** The container definition as data (unit tested without Docker). */
export interface ContainerPlan {
  image: string;
  env: Record<string, string>;
  configTarget: string;
  command: string[];
  port: number;
}

export function containerPlan(spec: Pick<ServerSpec, 'image' | 'options'>, rootPassword: string): ContainerPlan {
  const image = spec.image ?? DEFAULT_IMAGE;
  const isMysql = /^mysql[:@]/.test(image) || image.startsWith('mysql/');
  const env: Record<string, string> = isMysql
    ? { MYSQL_ROOT_PASSWORD: rootPassword }
    : { MARIADB_ROOT_PASSWORD: rootPassword, MARIADB_ROOT_HOST: '%' };
  const command = Object.entries(spec.options ?? {}).map(([k, v]) => `--${k.replace(/_/g, '-')}=${v}`);
  return { image, env, configTarget: '/etc/mysql/conf.d/zz-drydock-bulk-load.cnf', command, port: 3306 };
}

export const dockerEngine: Engine = {
  name: 'docker',
  async start(spec: ServerSpec): Promise<StartedServer> {
    const { GenericContainer, Wait } = await import('testcontainers');
    const password = randomBytes(18).toString('base64url');
    registerSecret(password);
    const plan = containerPlan(spec, password);
    let started;
    try {
      started = await new GenericContainer(plan.image)
        .withEnvironment(plan.env)
        .withCopyFilesToContainer([{ source: BULK_LOAD_CNF, target: plan.configTarget }])
        .withCommand(plan.command)
        .withExposedPorts(plan.port)
        .withWaitStrategy(Wait.forLogMessage(/ready for connections/i, 2))
        .withStartupTimeout(180_000)
        .start();
    } catch (err) {
      throw new StageError('engine', `could not start a ${plan.image} container: ${(err as Error).message}`, {
        hint: 'the docker engine needs a running Docker daemon; use --engine local (default) or --engine external instead',
        cause: err,
      });
    }
    const address: ServerAddress = { user: 'root', host: started.getHost(), port: started.getMappedPort(plan.port), database: spec.database, password };
    const version = await prepareDatabase(address);
    let stopped = false;
    return {
      engine: 'docker',
      address,
      flavor: flavorOf(version),
      version,
      exited: () => undefined,
      async stop() {
        if (stopped) return;
        stopped = true;
        await started.stop();
      },
    };
  },
};

/** Whether a Docker engine answers here (the docker engine's integration test is skipped otherwise). */
export async function dockerAvailable(): Promise<string | true> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch (err) {
    return `no Docker engine reachable (${(err as Error).message.split('\n')[0]})`;
  }
}
