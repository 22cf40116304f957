/**
 * Builds the browser screens (web/src, Preact + TypeScript) into web/dist with esbuild: one
 * minified ES module, its CSS and index.html, named by content hash so a browser caches them for
 * ever and an upgrade is never mixed with an old bundle. No CDN, nothing fetched at run time: an
 * air-gapped factory network serves everything from `cardline serve`.
 *
 * Runs at install (npm `prepare`), and `cardline serve` runs it once when web/dist is missing.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const WEB_ROOT = path.dirname(fileURLToPath(import.meta.url));
export const WEB_DIST = path.join(WEB_ROOT, 'dist');

export interface WebBuild {
  readonly outDir: string;
  /** The files written, relative to outDir. */
  readonly files: readonly string[];
  /** The JavaScript and CSS a first visit downloads, gzip-compressed (the ui_bundle_kb bench). */
  readonly gzipBytes: number;
}

function hashed(name: string, ext: string, content: Uint8Array): string {
  return `${name}.${createHash('sha256').update(content).digest('hex').slice(0, 12)}.${ext}`;
}

export async function buildWebApp(outDir: string = WEB_DIST): Promise<WebBuild> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [path.join(WEB_ROOT, 'src', 'main.tsx')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    outdir: outDir,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(WEB_ROOT, 'tsconfig.json'),
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!js) throw new Error('esbuild produced no JavaScript for web/src/main.tsx');
  // The shell's styles, then each screen's own (web/src/screens/*.css), in name order.
  const screenCss = (await readdir(path.join(WEB_ROOT, 'src', 'screens'))).filter((f) => f.endsWith('.css')).sort();
  const css = Buffer.concat(await Promise.all([path.join(WEB_ROOT, 'src', 'styles.css'), ...screenCss.map((f) => path.join(WEB_ROOT, 'src', 'screens', f))].map((f) => readFile(f))));
  const jsName = hashed('app', 'js', js.contents);
  const cssName = hashed('app', 'css', css);
  const html = (await readFile(path.join(WEB_ROOT, 'index.html'), 'utf8')).replace('%APP_JS%', `/assets/${jsName}`).replace('%APP_CSS%', `/assets/${cssName}`);

  // Written beside the build, then swapped in: a server starting meanwhile finds the old build or
  // the new one, never half of one (servers started together may each find the build stale).
  const fresh = `${outDir}.new-${process.pid}-${Date.now()}`;
  await mkdir(path.join(fresh, 'assets', 'fonts'), { recursive: true });
  await writeFile(path.join(fresh, 'assets', jsName), js.contents);
  await writeFile(path.join(fresh, 'assets', cssName), css);
  await writeFile(path.join(fresh, 'index.html'), html);
  // Noto Sans draws Vietnamese on a panel whose system has no such font (the same files as the PDFs').
  for (const [weight, name] of [['400Regular', 'NotoSans-Regular.ttf'], ['700Bold', 'NotoSans-Bold.ttf']] as const) {
    const from = path.join(WEB_ROOT, '..', 'node_modules', '@expo-google-fonts', 'noto-sans', weight, `NotoSans_${weight}.ttf`);
    await writeFile(path.join(fresh, 'assets', 'fonts', name), await readFile(from));
  }
  const old = `${outDir}.old-${process.pid}-${Date.now()}`;
  await rename(outDir, old).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await rename(fresh, outDir);
  await rm(old, { recursive: true, force: true });
  const gzipBytes = gzipSync(js.contents, { level: 9 }).length + gzipSync(css, { level: 9 }).length + gzipSync(html, { level: 9 }).length;
  return { outDir, files: ['index.html', `assets/${jsName}`, `assets/${cssName}`], gzipBytes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const built = await buildWebApp();
  console.log(`web: built ${built.files.join(', ')} in ${path.relative(process.cwd(), built.outDir) || '.'} (${(built.gzipBytes / 1024).toFixed(1)} KB gzip)`);
}
