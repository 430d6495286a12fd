#!/usr/bin/env node
// Entry point for `npx airstack` and `npm start`: load TypeScript through tsx, then run the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../tools/cli/main.ts');
