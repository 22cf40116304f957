/**
 * Serves the browser screens (web/, built by web/build.ts) under `/`: index.html for `/`, the
 * content-hashed bundle, CSS and fonts under /assets/ with a year's cache. Everything comes from
 * this server (no CDN): the Content-Security-Policy allows nothing else, and no page may frame it.
 * When the build is missing (a checkout where `npm install` did not run its prepare step) or older
 * than web/src, the server builds it once before it answers.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** ECharts sets inline styles on the elements it draws; nothing else is loosened. */
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** The newest modification time of the files under `dir` (ms; 0 when it has none). */
async function newest(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const times = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => (await stat(path.join(e.parentPath, e.name))).mtimeMs));
  return Math.max(0, ...times);
}

/**
 * The directory of the built screens; builds them first when they are missing or older than their
 * sources (a checkout changed after `npm install`).
 */
export async function ensureWebBuild(dir?: string): Promise<string> {
  const { buildWebApp, WEB_DIST, WEB_ROOT } = await import('../../web/build.ts');
  const outDir = dir ?? WEB_DIST;
  const built = await stat(path.join(outDir, 'index.html')).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (built === 0 || (await newest(path.join(WEB_ROOT, 'src'))) > built) await buildWebApp(outDir);
  return outDir;
}

function secure(reply: FastifyReply): FastifyReply {
  return reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
}

export function registerWebApp(app: FastifyInstance, distDir: string): void {
  const index = path.join(distDir, 'index.html');
  app.get('/', async (_request, reply) => {
    const html = await readFile(index);
    return secure(reply).header('cache-control', 'no-cache').type(TYPES['.html']!).send(html);
  });
  app.get('/assets/*', async (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    const file = path.resolve(distDir, 'assets', rest);
    // Only files under assets/: no `..`, no absolute path, no dot file.
    if (!file.startsWith(path.join(distDir, 'assets') + path.sep) || rest.split('/').some((p) => p.startsWith('.'))) return reply.callNotFound();
    const type = TYPES[path.extname(file)];
    if (!type || !(await exists(file))) return reply.callNotFound();
    return secure(reply).header('cache-control', 'public, max-age=31536000, immutable').type(type).send(await readFile(file));
  });
}
