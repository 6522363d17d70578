import { ConfigError } from '../errors.js';
import type { Engine, EngineName } from './engine.js';
import { localEngine } from './local.js';
import { externalEngine } from './external.js';
import { dockerEngine } from './docker.js';

export const ENGINES: Record<EngineName, Engine> = { local: localEngine, external: externalEngine, docker: dockerEngine };

export function engineFor(name: string): Engine {
  const e = ENGINES[name as EngineName];
  if (!e) throw new ConfigError(`unknown engine '${name}'`, { hint: `use one of: ${Object.keys(ENGINES).join(', ')}` });
  return e;
}
