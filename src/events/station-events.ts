/**
 * What the site's event stream says about a station link: its PackML state, unit mode and whether
 * it is connected (`station.state`), on every state report and every link change.
 */
import { stateName, UNIT_MODES } from '../plc/packml.ts';
import type { StationEvent, StationStatus } from '../plc/station-link.ts';
import type { SiteEventBody } from './site-event.ts';

const MODE_NAMES = Object.fromEntries(Object.entries(UNIT_MODES).map(([k, v]) => [v, k])) as Record<number, string>;

export function modeName(unitMode: number): string {
  return MODE_NAMES[unitMode] ?? `Invalid(${unitMode})`;
}

export type StationStateEvent = Extract<SiteEventBody, { type: 'station.state' }>;

export function stationState(lineId: string, unitId: string, status: StationStatus | undefined, connected: boolean): StationStateEvent {
  return {
    type: 'station.state',
    lineId,
    unitId,
    state: status ? stateName(status.state) : 'unknown',
    mode: status ? modeName(status.unitMode) : 'unknown',
    connected,
  };
}

/**
 * The `station.state` event a link event makes, or undefined for the card handshake's events (the
 * journal reports what became of cards). `status` is the link's last status, for link up/down.
 */
export function stationEventOf(lineId: string, unitId: string, event: StationEvent, status: StationStatus | undefined): StationStateEvent | undefined {
  switch (event.type) {
    case 'plc.state':
      return stationState(lineId, unitId, event.status, true);
    case 'plc.link.up':
      return stationState(lineId, unitId, status, true);
    case 'plc.link.down':
      return stationState(lineId, unitId, status, false);
    default:
      return undefined;
  }
}
