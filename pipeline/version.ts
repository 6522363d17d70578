/** drydock's own version (package.json), recorded with stored plans and shown by `--version`. */
import { readFileSync } from 'node:fs';

export const DRYDOCK_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
