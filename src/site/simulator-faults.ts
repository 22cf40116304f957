/**
 * The engineer's hand on a simulated line's simulator (issue 18): a fault injected into, or cleared
 * from, one unit through the simulator's control surface (the same as its HTTP control API), and
 * what the simulator shows (the units' faults, the ledger's counts). Faults act on the simulated
 * PLCs, so the controller and the alarm board see them as they would see a real station's.
 */
import { stationUnits, type LineConfig } from '../config/line-config.ts';
import type { SimulatorControl } from '../line/ports.ts';
import { SiteRequestError, type SimulatorFaultRequest, type SimulatorFaultResult, type SimulatorView } from './runtime.ts';

/** The simulator's own refusals carry an HTTP-like status (simulators/control.ts ControlError). */
function refusal(error: unknown): never {
  const status = (error as { status?: unknown }).status;
  if (error instanceof Error && (status === 400 || status === 404 || status === 409)) throw new SiteRequestError(error.message, status, 'unit');
  throw error;
}

export function applySimulatorFault(control: SimulatorControl, line: LineConfig, request: SimulatorFaultRequest): SimulatorFaultResult {
  const unit = stationUnits(line).find((u) => u.unitId === request.unit);
  if (!unit) throw new SiteRequestError(`line ${line.id} has no unit '${request.unit}'; units: ${stationUnits(line).map((u) => u.unitId).join(', ')}`, 404, 'unit');
  const action = request.action ?? 'inject';
  const inject = action === 'inject';
  const done = (units: readonly string[]): SimulatorFaultResult => ({ unit: request.unit, fault: request.fault, action, units });
  try {
    switch (request.fault) {
      case 'drop-connection':
        if (!inject) throw new SiteRequestError('a dropped connection is not cleared: the link reconnects by itself', 400, 'action');
        return done(control.dropConnections(request.unit).units);
      case 'freeze-heartbeat':
        return done(control.freezeHeartbeat(request.unit, inject).units);
      case 'e-stop': {
        if (inject) return done(control.eStop(request.unit).units);
        // An emergency stop is left by PackML's Clear (Aborted → Clearing → Stopped), as at the panel.
        const [answer] = control.command(request.unit, 'Clear');
        if (answer && !answer.outcome.accepted) throw new SiteRequestError(`${request.unit}: Clear refused: ${answer.outcome.detail ?? 'not in Aborted'}`, 409, 'unit');
        return done([request.unit]);
      }
      case 'jam': {
        const probability = inject ? (request.probability ?? 1) : unit.station.failures.jam;
        control.setFailures({ jam: probability }, unit.station.id);
        return done(stationUnits(line).filter((u) => u.station === unit.station).map((u) => u.unitId));
      }
      case 'slow-cycles':
        return done(control.slow(request.unit, inject ? (request.factor ?? 4) : 1).units);
    }
  } catch (error) {
    if (error instanceof SiteRequestError) throw error;
    return refusal(error);
  }
}

export function simulatorView(control: SimulatorControl): SimulatorView {
  const status = control.status();
  // setFailures with no change answers the stations' failure rates as they are now.
  const jam = new Map(control.setFailures({}).map((s) => [s.station, s.failures.jam]));
  const ledger = control.ledger();
  const rejectReasons: Record<string, number> = {};
  for (const card of ledger.rejectBin) rejectReasons[card.reason] = (rejectReasons[card.reason] ?? 0) + 1;
  return {
    units: status.units.map((u) => ({
      unitId: u.unitId,
      state: u.state,
      stopReason: u.stopReason,
      heartbeatFrozen: u.heartbeatFrozen,
      slowFactor: u.slowFactor,
      jam: jam.get(u.unitId.split('.')[0]!) ?? 0,
    })),
    ledger: {
      blanksLoaded: ledger.blanksLoaded,
      magazine: ledger.magazine,
      fed: ledger.fed,
      inStacker: ledger.stacker.length,
      stacked: ledger.stacked,
      unloaded: ledger.unloaded.length,
      inRejectBin: ledger.rejectBin.length,
      rejectReasons,
      purged: ledger.purged,
      inMachine: ledger.inMachine.length,
    },
  };
}
