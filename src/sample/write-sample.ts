/**
 * Puts a sample on disk: <outDir>/batch.jsonl (one record per line, UTF-8, NFC) and the portraits
 * the records reference under <outDir>/portraits/. Streams: records are drawn, written and
 * forgotten one at a time (the write stream's back-pressure is honoured), and at most a few
 * portraits are being encoded at once, so memory stays flat for 1,000,000 records (measured: the
 * same peak RSS, about 220 MB with tsx and the canvas loaded, for 100,000 and 1,000,000 records).
 * Files already in outDir are overwritten; files a previous, larger sample left there are not
 * removed, so use a fresh directory.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { drawPortrait } from './portrait.ts';
import { sampleRecords, type SampleOptions } from './records.ts';
import { Rng, seedWords } from './rng.ts';

export interface WriteSampleOptions extends SampleOptions {
  readonly outDir: string;
  /**
   * Draw only this many distinct portraits (portraits/pool-000000.jpg …) and let the records share
   * them. For capacity studies: drawing and encoding 200,000 JPEGs would dominate the time to make
   * a sample, while the line under test only needs portraits of realistic size. Without a pool,
   * every record 6 or over gets its own portraits/NNNNNN.jpg.
   */
  readonly portraitPool?: number;
  /** Called with the number of records written, every 1,000 records and at the end. */
  readonly onProgress?: (records: number) => void;
}

export interface WriteSampleResult {
  readonly batchFile: string;
  readonly records: number;
  /** Portrait files written. */
  readonly portraits: number;
}

/** Encoding runs on libuv's thread pool (4 threads by default); a few in flight keep it busy. */
const PORTRAITS_IN_FLIGHT = 4;
const PROGRESS_EVERY = 1000;
/** Lines are written in chunks of about this many characters: one write per line costs more than drawing it. */
const CHUNK_CHARS = 1 << 16;

/** Runs tasks with a bound on how many are in flight; remembers the first failure. */
class BoundedTasks {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { readonly error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    this.rethrow();
    const running: Promise<void> = task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    this.rethrow();
  }

  private rethrow(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}

function poolPath(index: number): string {
  return `portraits/pool-${String(index).padStart(6, '0')}.jpg`;
}

export async function writeSample(opts: WriteSampleOptions): Promise<WriteSampleResult> {
  const pool = opts.portraitPool;
  if (pool !== undefined && (!Number.isSafeInteger(pool) || pool < 1)) {
    throw new RangeError(`writeSample: portraitPool must be a whole number ≥ 1, got ${pool}`);
  }
  const records = sampleRecords(opts); // checks the sample options before anything is written
  await mkdir(join(opts.outDir, 'portraits'), { recursive: true });

  const tasks = new BoundedTasks(PORTRAITS_IN_FLIGHT);
  const writePortrait = (relative: string, seed: number) =>
    tasks.add(async () => {
      const jpeg = await drawPortrait(seed);
      await writeFile(join(opts.outDir, relative), jpeg);
    });

  let portraits = 0;
  if (pool !== undefined) {
    const words = seedWords(opts.seed);
    for (let i = 0; i < pool; i++) {
      await writePortrait(poolPath(i), Rng.stream(words, i, 2).uint32());
      portraits++;
    }
  }

  const batchFile = join(opts.outDir, 'batch.jsonl');
  const out = createWriteStream(batchFile, { encoding: 'utf8' });
  let written = 0;
  let chunk = '';
  try {
    for (const { record, portraitSeed } of records) {
      let line = record;
      if (record.portrait !== undefined && portraitSeed !== undefined) {
        if (pool === undefined) {
          await writePortrait(record.portrait, portraitSeed);
          portraits++;
        } else {
          line = { ...record, portrait: poolPath(portraitSeed % pool) };
        }
      }
      chunk += `${JSON.stringify(line).normalize('NFC')}\n`;
      written++;
      if (chunk.length >= CHUNK_CHARS) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
      if (written % PROGRESS_EVERY === 0) opts.onProgress?.(written);
    }
    out.end(chunk);
    await tasks.drain();
    await finished(out);
  } catch (error) {
    out.destroy();
    await tasks.drain().catch(() => undefined);
    throw error;
  }
  opts.onProgress?.(written);
  return { batchFile, records: written, portraits };
}
