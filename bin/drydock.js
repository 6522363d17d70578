#!/usr/bin/env node
// The `drydock` bin: runs the TypeScript CLI through tsx's loader (a runtime dependency).
import { register } from 'tsx/esm/api';
register();
await import('../pipeline/cli.ts');
