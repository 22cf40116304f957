/**
 * A batch that arrives over the network (the API's upload) or names a folder on the server: the
 * same import as `cardline import` (importer.ts), from a private working folder. An upload is a batch
 * file (JSON Lines or CSV) alone, or a zip holding one batch file and the portraits it names
 * (relative to it). Zip entries are checked before anything is written: no absolute path, no `..`,
 * bounded count and size. The working folder (0700, under the data directory) is removed afterwards
 * whatever happens: the portraits are in the store, encrypted, once the import has read them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import type { BatchStore } from '../store/batch-store.ts';
import { importBatch, ImportFileError, type ImportSummary } from './importer.ts';

/** Upload media types, by what they hold. */
export const UPLOAD_MEDIA_TYPES = {
  zip: ['application/zip'],
  jsonl: ['application/x-ndjson', 'application/jsonl'],
  csv: ['text/csv'],
} as const;

export const UPLOAD_MAX_BYTES = 512 * 1024 * 1024;
const UNZIPPED_MAX_BYTES = 2 * 1024 * 1024 * 1024;
const ZIP_MAX_ENTRIES = 200_000;
const BATCH_FILE = /\.(jsonl|ndjson|csv)$/i;

/** Folders of the data directory a server-side import may name: files put there by the bureau's transfer. */
export const IMPORT_FOLDERS = ['inbox', 'samples'] as const;

export interface ImportTarget {
  readonly store: BatchStore;
  readonly dataDir: string;
  readonly actor: string;
  readonly name?: string | undefined;
}

/** An upload's working folder: created 0700 under `<data dir>/uploads`, removed by the caller. */
async function workFolder(dataDir: string): Promise<string> {
  const dir = path.join(dataDir, 'uploads', randomBytes(8).toString('hex'));
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

function checkEntryName(name: string): string {
  const clean = name.replace(/\\/g, '/');
  if (clean.startsWith('/') || /^[A-Za-z]:/.test(clean) || clean.split('/').some((part) => part === '..')) {
    throw new ImportFileError(`zip entry ${JSON.stringify(name)}: a path outside the upload (absolute or with ..) is not allowed`);
  }
  return clean;
}

/** Unpacks a zip into `dir`; returns the relative path of its one batch file. */
async function unpack(zip: Uint8Array, dir: string): Promise<string> {
  let entries = 0;
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (f) => {
        entries++;
        total += f.originalSize;
        if (entries > ZIP_MAX_ENTRIES) throw new ImportFileError(`the zip holds more than ${ZIP_MAX_ENTRIES} entries`);
        if (total > UNZIPPED_MAX_BYTES) throw new ImportFileError(`the zip unpacks to more than ${UNZIPPED_MAX_BYTES / 1024 ** 3} GiB`);
        checkEntryName(f.name);
        return !f.name.endsWith('/');
      },
    });
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    throw new ImportFileError(`the upload is not a readable zip file (${(error as Error).message})`);
  }
  const batchFiles = Object.keys(files).filter((n) => BATCH_FILE.test(n) && !n.split('/').some((p) => p.startsWith('.') || p === '__MACOSX'));
  if (batchFiles.length !== 1) {
    throw new ImportFileError(
      batchFiles.length === 0
        ? 'the zip holds no batch file (.jsonl, .ndjson or .csv): put the batch file and its portraits in one zip'
        : `the zip holds ${batchFiles.length} batch files (${batchFiles.slice(0, 5).join(', ')}): upload one batch at a time`,
    );
  }
  for (const [name, data] of Object.entries(files)) {
    const target = path.join(dir, checkEntryName(name));
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await writeFile(target, data, { mode: 0o600 });
  }
  return batchFiles[0]!;
}

/** Imports an uploaded batch file or zip (`kind` from its media type); `fileName` names it in the batch. */
export async function importUpload(target: ImportTarget, upload: { readonly kind: keyof typeof UPLOAD_MEDIA_TYPES; readonly body: Buffer; readonly fileName?: string | undefined }): Promise<ImportSummary> {
  if (upload.body.length === 0) throw new ImportFileError('the upload is empty');
  const dir = await workFolder(target.dataDir);
  try {
    let file: string;
    if (upload.kind === 'zip') {
      file = path.join(dir, await unpack(upload.body, dir));
    } else {
      file = path.join(dir, `batch.${upload.kind}`);
      await writeFile(file, upload.body, { mode: 0o600 });
    }
    const label = upload.fileName ?? path.basename(file);
    return await importBatch({
      file,
      store: target.store,
      reportDir: path.join(target.dataDir, 'reports'),
      actor: target.actor,
      name: target.name ?? label,
      sourceLabel: `upload:${label}`,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Imports a batch file already on the server, named relative to one of the data directory's import
 * folders (IMPORT_FOLDERS): a client cannot make the server read anything else.
 */
export async function importServerFile(target: ImportTarget, relativePath: string): Promise<ImportSummary> {
  const roots = IMPORT_FOLDERS.map((f) => path.join(target.dataDir, f));
  const wanted = path.resolve(target.dataDir, relativePath);
  let real: string;
  try {
    real = await realpath(wanted);
  } catch {
    throw new ImportFileError(`${relativePath}: no such file in the data directory's import folders (${IMPORT_FOLDERS.join(', ')})`);
  }
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => r)));
  if (!realRoots.some((root) => real.startsWith(root + path.sep))) {
    throw new ImportFileError(`${relativePath}: a server-side import names a file under the data directory's folders ${IMPORT_FOLDERS.join(', ')}, relative to the data directory`);
  }
  if (!(await stat(real)).isFile()) throw new ImportFileError(`${relativePath}: not a file`);
  return importBatch({
    file: real,
    store: target.store,
    reportDir: path.join(target.dataDir, 'reports'),
    actor: target.actor,
    ...(target.name ? { name: target.name } : {}),
  });
}
