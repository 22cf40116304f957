/**
 * The application's composition root for a line run: the line's own composition
 * (src/line/compose.ts) with, for a simulated line, the simulator started in this process. The one
 * place where the line control and the simulators meet: src/line imports neither src/cli nor
 * simulators/.
 */
import { LineSession, runBatchOnLine, type LineContext, type LineRunOptions, type LineRunResult, type LineSessionOptions } from '../line/compose.ts';
import type { CardWhereabouts, LineInventory, StartSimulator } from '../line/ports.ts';

export { writeProofSheet, RunError, type LineRunOptions, type LineRunResult } from '../line/compose.ts';

/** Starts a simulated line's simulator in this process (loaded on demand: node-opcua takes a second, production runs do not need it). */
export const startInProcessSimulator: StartSimulator = async ({ line, dataDir, log }) => {
  const { LineSimulator } = await import('../../simulators/line-simulator.ts');
  const simulator = await LineSimulator.start({ line, dataDir, log });
  return {
    control: simulator.control,
    inventory: () => inventoryOf(simulator.control.ledger()),
    stop: () => simulator.stop(),
  };
};

/** The simulator's ledger as the line's report of where its cards are. */
function inventoryOf(ledger: { stacker: readonly { cardSerial: string; position: number }[]; rejectBin: readonly { cardSerial: string; reason: string }[]; inMachine: readonly { cardSerial: string }[] }): LineInventory {
  const where = new Map<string, CardWhereabouts>();
  for (const c of ledger.rejectBin) where.set(c.cardSerial, { at: 'reject', reason: c.reason });
  for (const c of ledger.stacker) where.set(c.cardSerial, { at: 'stacker', position: c.position });
  for (const c of ledger.inMachine) where.set(c.cardSerial, { at: 'inside' });
  const purged = ledger.rejectBin.filter((c) => c.reason === 'simulator-restart').map((c) => c.cardSerial);
  return { whereIs: (serial) => where.get(serial) ?? { at: 'unknown' }, purged: () => purged };
}

/** Runs (or resumes) a batch on a line to its end, a simulated line's simulator started here unless it runs outside. */
export function runBatch(ctx: LineContext, options: LineRunOptions): Promise<LineRunResult> {
  return runBatchOnLine(ctx, { startSimulator: startInProcessSimulator, ...options });
}

/** Opens a line's long-lived session (`cardline serve`), a simulated line's simulator started here unless it runs outside. */
export function openLineSession(ctx: LineContext, options: LineSessionOptions): Promise<LineSession> {
  return LineSession.open(ctx, { startSimulator: startInProcessSimulator, ...options });
}
