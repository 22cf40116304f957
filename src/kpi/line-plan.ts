/**
 * What the KPIs need to know of a line besides its journal: each unit's station, kind and planned
 * run time per item (PRI: the station's nominal cycle, `cycle.meanMs` of the line file), and the
 * line's own PRI (its bottleneck: the slowest station's cycle ÷ its heads). On a simulated line the
 * journal's clock is the wall clock, so PRI is the physical cycle ÷ the time scale.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadLineConfig, stationUnits, type LineConfig } from '../config/line-config.ts';

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

/**
 * The plan of line `lineId` from its line file `<dir>/<lineId>.yaml` (or `.yml`), or undefined
 * when there is none (the KPIs then have no planned run time: effectiveness and OEE are unknown).
 * A line file that exists but is invalid is an error naming the file and field.
 */
export async function loadLinePlan(dir: string, lineId: string): Promise<LinePlan | undefined> {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(lineId)) return undefined;
  for (const ext of ['yaml', 'yml']) {
    const file = path.join(dir, `${lineId}.${ext}`);
    if (!existsSync(file)) continue;
    const line = await loadLineConfig(file);
    return line.id === lineId ? linePlan(line) : undefined;
  }
  return undefined;
}
