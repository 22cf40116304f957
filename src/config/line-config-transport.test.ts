/**
 * A production line with Modbus stations states that its transport is insecure, and why (issue 15
 * finding 5: an all-Modbus production line passed the config check with no transport security).
 * The error names the file, the YAML line and the key.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadLineConfig } from './line-config.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-linecfg-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const kinds = ['feeder', 'encoder', 'laser', 'qa', 'output'] as const;
const productionLine = (extra: Record<string, unknown>, transport: (kind: string) => 'modbus' | 'opcua' = () => 'modbus') => ({
  id: 'hall-a',
  opcuaSecurity: { mode: 'SignAndEncrypt', policy: 'Basic256Sha256', allowAnonymous: false, user: { username: 'ctl', passwordEnv: 'CTL_PW' } },
  ...extra,
  stations: kinds.map((kind, i) => ({
    id: kind,
    kind,
    transport: transport(kind),
    ...(transport(kind) === 'modbus' ? { modbus: { host: '10.0.12.10', port: 5020 + i } } : { opcua: { endpoint: 'opc.tcp://10.0.12.2:4840' } }),
    cycle: { meanMs: 1000 },
  })),
});

async function load(name: string, value: unknown): Promise<{ file: string; result: unknown }> {
  const file = path.join(work, `${name}.yaml`);
  await writeFile(file, stringify(value));
  const result = await loadLineConfig(file).catch((error: unknown) => error);
  return { file: path.relative(process.cwd(), file), result };
}

const MESSAGE = (ids: string) =>
  `a production line with Modbus stations (${ids}) has no transport security (Modbus TCP has neither authentication nor encryption, ` +
  'and the job folders carry BAC keys, chip images and card images): accept it explicitly with modbusSecurity: ' +
  '{ insecureTransportAccepted: true, reason: "…" }, naming the network that protects it';

describe('modbusSecurity on production lines', () => {
  it('refuses an all-Modbus production line that does not accept the insecure transport, naming file and line', async () => {
    const { file, result } = await load('all-modbus', productionLine({}));
    expect(result).toBeInstanceOf(ConfigError);
    // The line of the first station's `transport:` in the YAML the test wrote.
    const at = stringify(productionLine({})).split('\n').findIndex((l) => l.includes('transport: modbus')) + 1;
    expect(at).toBeGreaterThan(1);
    expect((result as Error).message).toBe(`invalid line configuration:\n  ${file} line ${at}: stations[0].transport: ${MESSAGE('feeder, encoder, laser, qa, output')}`);
  });

  it('refuses insecureTransportAccepted: false, and a missing or empty reason', async () => {
    const no = await load('false', productionLine({ modbusSecurity: { insecureTransportAccepted: false, reason: 'cell VLAN 12, no route out' } }));
    expect((no.result as Error).message).toMatch(new RegExp(`${no.file} line \\d+: modbusSecurity\\.insecureTransportAccepted: a production line with Modbus stations`));
    const empty = await load('empty', productionLine({ modbusSecurity: { insecureTransportAccepted: true, reason: ' ' } }));
    expect((empty.result as Error).message).toMatch(/modbusSecurity\.reason: must say why \(at least 10 characters\)/);
    const missing = await load('missing', productionLine({ modbusSecurity: { insecureTransportAccepted: true } }));
    expect((missing.result as Error).message).toMatch(/modbusSecurity\.reason: /);
  });

  it('accepts it with a reason; a mixed line names only its Modbus stations', async () => {
    const ok = await load('ok', productionLine({ modbusSecurity: { insecureTransportAccepted: true, reason: 'isolated cell network VLAN 12, no route to the office LAN' } }));
    expect(ok.result).toMatchObject({ id: 'hall-a', modbusSecurity: { insecureTransportAccepted: true } });
    const mixed = await load('mixed', productionLine({}, (k) => (k === 'laser' || k === 'output' ? 'modbus' : 'opcua')));
    expect((mixed.result as Error).message).toContain(MESSAGE('laser, output'));
  });

  it('asks nothing of an OPC UA production line or of a simulated Modbus line', async () => {
    expect((await load('opcua', productionLine({}, () => 'opcua'))).result).toMatchObject({ id: 'hall-a' });
    const simulated = { ...productionLine({}), simulation: { timeScale: 1 }, opcuaSecurity: { mode: 'None', policy: 'None' } };
    expect((await load('sim', simulated)).result).toMatchObject({ id: 'hall-a' });
  });
});
