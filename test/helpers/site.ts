// Test support: a site of one small simulated line (OPC UA over loopback, fast time scale) in a
// fresh SQLite data directory, with imported sample batches, for the site and serve tests.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openLineSession } from '../../src/app/run-line.ts';
import { openContext, type AppContext } from '../../src/cli/context.ts';
import { EventBus } from '../../src/events/event-bus.ts';
import type { SiteEvent } from '../../src/events/site-event.ts';
import { importBatch } from '../../src/import/importer.ts';
import { writeSample } from '../../src/sample/generate.ts';
import { loadSiteConfig, type SiteConfig } from '../../src/site/site-config.ts';
import { Site, type SiteOptions } from '../../src/site/site.ts';
import { SiteAlarmBoard } from '../../src/alarms/alarm-board.ts';
import { AlarmStore } from '../../src/store/alarm-store.ts';
import { writeCliLine } from './cli.ts';

export interface SiteFixture {
  readonly dir: string;
  readonly siteFile: string;
  readonly config: SiteConfig;
  ctx: AppContext;
  /** Imports a fresh sample batch of `count` records; returns its id. */
  importSample(count: number, seed: string): Promise<string>;
  /** A Site over this fixture's store, recording its events. */
  site(extra?: Partial<SiteOptions>): { site: Site; events: SiteEvent[] };
  /** Opens the store again (after a Site's stop closed nothing of it, or to act as a new process would). */
  cleanup(): Promise<void>;
}

export async function siteFixture(name: string, line: { timeScale?: number; cycleMs?: number; initialBlanks?: number } = {}): Promise<SiteFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), `cardline-${name}-`));
  const lineFile = path.join(dir, 'line.yaml');
  await writeCliLine(lineFile, { id: `${name}-line`, timeScale: line.timeScale ?? 20, seed: 11, initialBlanks: line.initialBlanks ?? 200, serialPrefix: 'T', cycleMs: line.cycleMs ?? 200 });
  const siteFile = path.join(dir, 'site.yaml');
  await writeFile(siteFile, `id: ${name}\nname: Test site ${name}\nlines:\n  - { id: ${name}-line, file: line.yaml }\n`);
  const config = await loadSiteConfig(siteFile);
  const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
  const fixture: SiteFixture = {
    dir,
    siteFile,
    config,
    ctx,
    async importSample(count, seed) {
      const sample = await writeSample({ count, seed, outDir: path.join(dir, `in-${seed}`), portraitPool: 4 });
      const imported = await importBatch({ file: sample.batchFile, store: fixture.ctx.batches, reportDir: fixture.ctx.reportDir, actor: 'test', today: { year: 2026, month: 11, day: 27 } });
      return imported.batchId;
    },
    site(extra = {}) {
      const events: SiteEvent[] = [];
      const bus = new EventBus();
      bus.subscribe((e) => events.push(e));
      // The site's real alarm board over this store (it raises alarms only for the lines it is given to observe).
      const site = new Site({ config, ctx: fixture.ctx, openSession: openLineSession, events: bus, alarms: new SiteAlarmBoard(new AlarmStore(fixture.ctx.db), bus), recoverAfterMs: 100, retryMs: 300, ...extra });
      return { site, events };
    },
    async cleanup() {
      await fixture.ctx.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** Waits until `check` holds, polling; throws naming `what` after `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
