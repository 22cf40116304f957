/**
 * What the KPIs need to know of a line besides its journal: each unit's station, kind and planned
 * run time per item (PRI: the station's nominal cycle, `cycle.meanMs` of the line file), and the
 * line's own PRI (its bottleneck: the slowest station's cycle ÷ its heads). On a simulated line the
 * journal's clock is the wall clock, so PRI is the physical cycle ÷ the time scale.
 */
import { stationUnits, type LineConfig } from '../config/line-config.ts';

export interface UnitPlan {
  readonly station: string;
  readonly kind: string;
  /** Planned run time per item (wall-clock ms). */
  readonly priMs: number;
}

export interface LinePlan {
  readonly id: string;
  readonly units: ReadonlyMap<string, UnitPlan>;
  /** The line's planned run time per card: its bottleneck's cycle per head (wall-clock ms). */
  readonly priMs: number;
}

export function linePlan(line: LineConfig): LinePlan {
  const scale = line.simulation?.timeScale ?? 1;
  const units = new Map<string, UnitPlan>();
  for (const u of stationUnits(line)) units.set(u.unitId, { station: u.station.id, kind: u.station.kind, priMs: u.station.cycle.meanMs / scale });
  const priMs = Math.max(...line.stations.map((s) => s.cycle.meanMs / (s.heads ?? 1))) / scale;
  return { id: line.id, units, priMs };
}
