/**
 * What every `cardline` start loads. A run loads only its own command's module, and the help loads
 * them all, so a heavy library imported at the top of a command file is loaded by every use of that
 * command and by the help: node-opcua
 * alone took about a second of CPU, and pdfkit, bwip-js and fastify a further half, on each of the
 * hundreds of `cardline` processes the CLI tests start. The commands that need them (run, demo,
 * plc-sim, render, pack manifest/label, report) import them when they run. Checked in a fresh Node process
 * that loads the command line as bin/cardline.js does and lists the packages it loaded.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '..');

/** Loaded only by the commands that need them (and everything they bring along). */
const LOADED_ON_DEMAND = ['node-opcua', 'pdfkit', 'pdfjs-dist', 'bwip-js', 'fastify', 'modbus-serial', 'echarts', 'svg-to-pdfkit', 'zrender'] as const;

/**
 * A module-resolution hook (Node runs it in its own thread) that prints the package of every module
 * the ES module loader resolves: the packages our TypeScript imports, ES modules or CommonJS.
 */
const HOOK = `export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  const name = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(found.url)?.[1];
  if (name) console.log('loaded ' + name);
  return found;
}`;

/** The npm packages a fresh process has loaded once the command line has every command (src/cli/main.ts's buildProgram). */
function packagesLoadedByMain(): Promise<string[]> {
  const script = `
    import { register as registerHook } from 'node:module';
    import { createRequire } from 'node:module';
    registerHook('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));
    const { register } = await import('tsx/esm/api');
    register();
    // Every command's module, as the whole help loads them (a run loads only its own command's).
    const { buildProgram } = await import(${JSON.stringify(path.join(root, 'src/cli/main.ts'))});
    await buildProgram(() => undefined);
    // CommonJS packages that others require() do not pass the hook: the require cache lists them.
    for (const file of Object.keys(createRequire(import.meta.url).cache)) {
      const name = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file)?.[1];
      if (name) console.log('loaded ' + name);
    }
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`exit ${code}:\n${err}`));
      const names = out.split('\n').filter((l) => l.startsWith('loaded ')).map((l) => l.slice('loaded '.length));
      resolve([...new Set(names)].sort());
    });
  });
}

describe('cardline start-up', () => {
  it('loads the command line without node-opcua, the PDF, chart and barcode writers, fastify or modbus', async () => {
    const loaded = await packagesLoadedByMain();
    // The probe sees what is loaded: commander and knex are (every command needs them).
    expect(loaded).toEqual(expect.arrayContaining(['commander', 'knex']));
    expect(loaded.filter((name) => LOADED_ON_DEMAND.some((heavy) => name === heavy || name.startsWith(`${heavy}-`)))).toStrictEqual([]);
  });
});
