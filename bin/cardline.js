#!/usr/bin/env node
// The `cardline` command. The sources are TypeScript and run through tsx's loader, so
// `npx cardline` works right after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
