// The measured import: the same code path as `cardline import`, in a process of its own so that its
// peak RSS is the import's alone. Prints one JSON line.
import { openContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';

const file = process.argv[2]!;
const ctx = await openContext();
const t0 = performance.now();
const summary = await importBatch({ file, store: ctx.batches, reportDir: ctx.reportDir, actor: 'bench' });
const ms = performance.now() - t0;
await ctx.close();
console.log(JSON.stringify({ accepted: summary.accepted, ms, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
