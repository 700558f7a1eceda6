#!/usr/bin/env node
// Launches the TypeScript CLI (host/cli.ts) through tsx, so the host code needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../host/cli.ts');
await main(process.argv);
