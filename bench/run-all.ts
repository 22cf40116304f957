/**
 * `npm run bench`: runs every benchmark in its own process and passes their `BENCH <name> <value>
 * <unit>` lines through. Speed targets are judged on these figures (as ratios measured in one
 * run where the issue asks for one), never by timed assertions in tests.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const BENCHES = ['mrz.bench.ts', 'handshake.bench.ts', 'import.bench.ts', 'render.bench.ts', 'lds.bench.ts', 'controller.bench.ts', 'line-efficiency.bench.ts', 'durable-commit.bench.ts', 'controller-cpu.bench.ts', 'line-cost.bench.ts', 'kpi.bench.ts', 'report.bench.ts', 'simulate.bench.ts', 'serve-load.bench.ts', 'ui.bench.ts'];
const runner = path.resolve(import.meta.dirname, '../bin/run-ts.js');
let failed = 0;
for (const bench of BENCHES) {
  console.log(`# ${bench}`);
  const r = spawnSync(process.execPath, [runner, path.join(import.meta.dirname, bench)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed += 1;
    console.log(`# ${bench} failed (exit ${r.status})`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
