/**
 * Line configurations for simulator tests: a full line (feeder, encoder heads, laser, QA, output)
 * with fast, fixed cycles and no failures unless a test asks for them.
 */
import { parseLineConfig, type LineConfig } from '../../src/config/line-config.ts';

export interface TestLineOptions {
  readonly id?: string;
  readonly heads?: number;
  readonly initialBlanks?: number;
  readonly stackerCapacity?: number;
  readonly timeScale?: number;
  readonly seed?: number | string;
  readonly transferMs?: number;
  readonly heartbeatMs?: number;
  /** Cycle mean per station kind (simulated ms); default 100 each, fixed. */
  readonly cycleMs?: Partial<Record<'feeder' | 'encoder' | 'laser' | 'qa' | 'output', number>>;
  readonly distribution?: 'normal' | 'lognormal' | 'fixed';
  readonly failures?: Partial<Record<'feeder' | 'encoder' | 'laser' | 'qa' | 'output', Record<string, number>>>;
  /** Transport per station id; default opcua for all. Modbus stations get `modbusPorts[id]`. */
  readonly transports?: Partial<Record<'feeder' | 'encoder' | 'laser' | 'qa' | 'output', 'opcua' | 'modbus'>>;
  readonly modbusPorts?: Partial<Record<string, number>>;
  readonly opcuaPort?: number;
}

export function testLine(o: TestLineOptions = {}): LineConfig {
  const kinds = ['feeder', 'encoder', 'laser', 'qa', 'output'] as const;
  const stations = kinds.map((kind) => {
    const transport = o.transports?.[kind] ?? 'opcua';
    return {
      id: kind,
      kind,
      transport,
      ...(kind === 'encoder' ? { heads: o.heads ?? 2 } : {}),
      ...(kind === 'output' && o.stackerCapacity !== undefined ? { stackerCapacity: o.stackerCapacity } : {}),
      ...(transport === 'modbus' ? { modbus: { port: o.modbusPorts?.[kind] ?? 1502 } } : {}),
      cycle: { meanMs: o.cycleMs?.[kind] ?? 100, sdMs: (o.cycleMs?.[kind] ?? 100) / 10, distribution: o.distribution ?? 'fixed' },
      failures: o.failures?.[kind] ?? {},
    };
  });
  return parseLineConfig(
    {
      id: o.id ?? 'sim-test',
      simulation: {
        timeScale: o.timeScale ?? 1000,
        seed: o.seed ?? 7,
        initialBlanks: o.initialBlanks ?? 10,
        serialPrefix: 'T',
        transferMs: o.transferMs ?? 50,
        heartbeatMs: o.heartbeatMs ?? 50,
        opcua: { host: '127.0.0.1', port: o.opcuaPort ?? 4840 },
      },
      opcuaSecurity: { mode: 'None', policy: 'None', allowAnonymous: true },
      stations,
    },
    'test-line.yaml',
  );
}
