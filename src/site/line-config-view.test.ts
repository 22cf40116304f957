// The engineer's view of a line file: built from an allow-list, so nothing secret reaches the API.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLineConfig, parseLineConfig } from '../config/line-config.ts';
import { lineConfigView, withoutCredentials } from './line-config-view.ts';

describe('withoutCredentials', () => {
  it('removes the user information of every URL in a text, and nothing else', () => {
    expect(withoutCredentials('opc.tcp://op:s3cret@10.0.0.5:4840/ua')).toBe('opc.tcp://10.0.0.5:4840/ua');
    expect(withoutCredentials('station laser: opc.tcp://plc@host:4840 refused; see http://a:b@c/d')).toBe('station laser: opc.tcp://host:4840 refused; see http://c/d');
    expect(withoutCredentials('modbus 127.0.0.1:15032 unit 1: user@example is not a URL')).toBe('modbus 127.0.0.1:15032 unit 1: user@example is not a URL');
  });
});

describe('lineConfigView', () => {
  it("shows the demo line's stations, units and addresses (config/lines/demo-mixed.yaml)", async () => {
    const view = lineConfigView(await loadLineConfig(path.resolve(import.meta.dirname, '../../config/lines/demo-mixed.yaml')));
    expect(view.file).toBe('demo-mixed.yaml');
    expect(view.stations.map((s) => [s.id, s.transport, s.units.length])).toStrictEqual([
      ['feeder', 'opcua', 1],
      ['encoder', 'opcua', 6],
      ['laser', 'modbus', 1],
      ['qa', 'opcua', 1],
      ['output', 'modbus', 1],
      ['packer', 'modbus', 1],
    ]);
    expect(view.stations[1]!.units[5]).toStrictEqual({ id: 'encoder.6', address: 'opc.tcp://127.0.0.1:48402 demo-mixed/encoder/Head6' });
    expect(view.stations[2]!.units[0]).toStrictEqual({ id: 'laser', address: 'modbus 127.0.0.1:15032 unit 1' });
    expect(view.stations[2]!.failures).toStrictEqual({ jam: 0.002, misregistration: 0.015 });
    expect(view.stations[2]!.polling).toStrictEqual({ pollMs: 20, idlePollMs: 200, requestTimeoutMs: 1000 });
  });

  it('leaves out user names, password variables and credentials in endpoints', () => {
    const line = parseLineConfig(
      {
        id: 'prod',
        opcuaSecurity: { mode: 'SignAndEncrypt', policy: 'Basic256Sha256', allowAnonymous: false, user: { username: 'ctl-user', passwordEnv: 'PROD_OPC_PASSWORD' }, users: [{ username: 'srv-user', passwordEnv: 'SRV_PW' }] },
        stations: ['feeder', 'encoder', 'laser', 'qa', 'output'].map((kind) => ({ id: kind, kind, transport: 'opcua', opcua: { endpoint: 'opc.tcp://ctl-user:hunter22@plc.local:4840' }, cycle: { meanMs: 500 } })),
      },
      'prod.yaml',
    );
    const text = JSON.stringify(lineConfigView(line));
    for (const secret of ['ctl-user', 'PROD_OPC_PASSWORD', 'srv-user', 'SRV_PW', 'hunter22']) expect(text).not.toContain(secret);
    expect(lineConfigView(line).opcuaSecurity).toStrictEqual({ mode: 'SignAndEncrypt', policy: 'Basic256Sha256', allowAnonymous: false, clientLogin: 'user', serverUsers: 1 });
  });
});
