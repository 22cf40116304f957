#!/usr/bin/env node
// The `cardline` command. The sources are TypeScript and run through tsx's loader, so
// `npx cardline` works right after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
// node-opcua's own notices (its Node-version warning, "creating default certificate") are noise on an
// operator's terminal; its errors still show. NODEOPCUA_LOG_LEVEL=4 or higher brings them back.
process.env.NODEOPCUA_LOG_LEVEL ??= '3';
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
