/**
 * The application's composition root for a line run: the line's own composition
 * (src/line/compose.ts) with, for a simulated line, the simulator started in this process. The one
 * place where the line control and the simulators meet: src/line imports neither src/cli nor
 * simulators/.
 */
import { runBatchOnLine, type LineContext, type LineRunOptions, type LineRunResult } from '../line/compose.ts';
import type { StartSimulator } from '../line/ports.ts';

export { writeBatchReport, RunError, type LineRunOptions, type LineRunResult } from '../line/compose.ts';

/** Starts a simulated line's simulator in this process (loaded on demand: node-opcua takes a second, production runs do not need it). */
export const startInProcessSimulator: StartSimulator = async ({ line, dataDir, log }) => {
  const { LineSimulator } = await import('../../simulators/line-simulator.ts');
  return LineSimulator.start({ line, dataDir, log });
};

/** Runs (or resumes) a batch on a line to its end, a simulated line's simulator started here unless it runs outside. */
export function runBatch(ctx: LineContext, options: LineRunOptions): Promise<LineRunResult> {
  return runBatchOnLine(ctx, { startSimulator: startInProcessSimulator, ...options });
}
