/**
 * SignAndEncrypt with Basic256Sha256 and a username/password user, end to end, with the PKI
 * procedure an operator follows (docs/plc-interface.md, "Security"): each side refuses the other's
 * certificate until it is trusted, then jobs and commands run over the encrypted channel. A wrong
 * password, an untrusted client certificate and an anonymous login are refused with a clear error.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpcuaServer, type RunningOpcuaServer } from '../../../simulators/opcua/opcua-server.ts';
import { attachPackMLLogic, attachScriptedPlc } from '../../../simulators/testing/scripted-plc.ts';
import { PACKML_STATES } from '../packml.ts';
import { TagStore } from '../tag-store.ts';
import type { TagTransport } from '../transport.ts';
import { createOpcuaTransport, type OpcuaTransportOptions } from './opcua-transport.ts';
import { pkiLayout, trustCertificateFile } from './pki.ts';
import { runJob, tempDir, TransportRecorder } from './testing.ts';

const OBJECT_PATH = ['secure-line', 'qa'] as const;
const USER = { username: 'line-controller', password: 'correct horse battery staple' };

let work: Awaited<ReturnType<typeof tempDir>>;
let store: TagStore;
let server: RunningOpcuaServer;
let serverPki: string;
const detach: (() => void)[] = [];
const open: TagTransport[] = [];

function transportFor(pkiDir: string, user: OpcuaTransportOptions['security']['user']): TagTransport {
  const t = createOpcuaTransport({
    endpointUrl: server.endpointUrl,
    objectPath: OBJECT_PATH,
    pkiDir,
    security: { mode: 'SignAndEncrypt', policy: 'Basic256Sha256', ...(user ? { user } : {}) },
  });
  open.push(t);
  return t;
}

/** One connection attempt: resolves with the error it was refused with (or undefined when it connected). */
async function attempt(pkiDir: string, user: OpcuaTransportOptions['security']['user']): Promise<Error | undefined> {
  const t = transportFor(pkiDir, user);
  try {
    await t.connect();
    return undefined;
  } catch (err) {
    return err as Error;
  } finally {
    await t.close();
  }
}

beforeAll(async () => {
  work = await tempDir('opcua-security');
  serverPki = path.join(work.dir, 'server-pki');
  store = new TagStore('qa');
  detach.push(attachScriptedPlc(store), attachPackMLLogic(store));
  server = await startOpcuaServer({
    host: '127.0.0.1',
    port: 0,
    units: [{ unitId: 'qa', objectPath: OBJECT_PATH, store }],
    pkiDir: serverPki,
    security: { mode: 'SignAndEncrypt', policy: 'Basic256Sha256', allowAnonymous: false, users: [USER] },
  });
}, 30_000);

afterAll(async () => {
  for (const d of detach) d();
  for (const t of open) await t.close();
  await server?.close();
  await work?.remove();
});

describe('OPC UA security: SignAndEncrypt, Basic256Sha256, username/password', () => {
  const clientPki = (): string => path.join(work.dir, 'controller-pki');

  it('refuses to connect while the controller does not trust the server certificate, and says where it is', async () => {
    const err = await attempt(clientPki(), USER);
    const layout = pkiLayout(clientPki(), 'client');
    expect(err?.message).toMatch(/this controller does not trust the server's certificate \(BadCertificateUntrusted\)/);
    expect(err?.message).toContain(`It was saved in ${layout.rejected}`);
    expect(err?.message).toContain(`move it to ${layout.trusted}`);
    expect(await readdir(layout.rejected)).toHaveLength(1);
  }, 20_000);

  it('then is refused by the server until the server trusts the controller certificate', async () => {
    await trustCertificateFile(clientPki(), pkiLayout(serverPki, 'server').ownCertificate);
    const err = await attempt(clientPki(), USER);
    expect(err?.message).toMatch(/the server refused this controller's certificate \(BadSecurityChecksFailed\)/);
    expect(err?.message).toContain(`Trust ${pkiLayout(clientPki(), 'client').ownCertificate} on the server`);
    // The server kept the refused certificate where an operator finds it.
    expect((await readdir(pkiLayout(serverPki, 'server').rejected)).some((f) => f.startsWith('cardline-controller'))).toBe(true);
  }, 20_000);

  it('runs jobs and commands end to end once both sides trust each other', async () => {
    await trustCertificateFile(serverPki, pkiLayout(clientPki(), 'client').ownCertificate);
    // The running server sees the trusted/ folder change through its watcher, within a moment.
    let last: Error | undefined;
    for (let i = 0; i < 40; i++) {
      last = await attempt(clientPki(), USER);
      if (!last) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(last).toBeUndefined();

    const transport = transportFor(clientPki(), USER);
    const recorder = new TransportRecorder(transport);
    await transport.connect();
    expect(recorder.connections[0]?.reason).toContain('(SignAndEncrypt, publishing interval');
    const job = Buffer.alloc(600 * 1024, 0x5a);
    const result = await runJob(transport, recorder, 1, job);
    expect(result.equals(job)).toBe(true);
    store.setPlc({ StateCurrent: PACKML_STATES.Stopped });
    await expect(transport.command('Reset')).resolves.toStrictEqual({ accepted: true });
    await expect(transport.command('Unhold')).resolves.toMatchObject({ accepted: false });
    recorder.detach();
    await transport.close();
  }, 30_000);

  it('refuses a wrong password with a clear error', async () => {
    const err = await attempt(clientPki(), { username: USER.username, password: 'wrong' });
    expect(err?.message).toMatch(/the server refused user 'line-controller' \(BadUserAccessDenied\): check the username and password/);
  }, 20_000);

  it('refuses an anonymous session when the server wants a user', async () => {
    const err = await attempt(clientPki(), undefined);
    expect(err?.message).toMatch(/the server does not accept anonymous sessions/);
  }, 20_000);

  it('refuses a controller whose certificate the server does not trust', async () => {
    const stranger = path.join(work.dir, 'stranger-pki');
    await trustCertificateFile(stranger, pkiLayout(serverPki, 'server').ownCertificate);
    const err = await attempt(stranger, USER);
    expect(err?.message).toMatch(/the server refused this controller's certificate \(BadSecurityChecksFailed\)/);
  }, 20_000);
});

describe('OPC UA security: Sign, anonymous, a simulator that accepts unknown client certificates', () => {
  let signServer: RunningOpcuaServer;
  let signStore: TagStore;

  beforeAll(async () => {
    signStore = new TagStore('feeder');
    signServer = await startOpcuaServer({
      host: '127.0.0.1',
      port: 0,
      units: [{ unitId: 'feeder', objectPath: ['sign-line', 'feeder'], store: signStore }],
      pkiDir: path.join(work.dir, 'sign-server-pki'),
      security: { mode: 'Sign', policy: 'Basic256Sha256', allowAnonymous: true, users: [], acceptUnknownCertificates: true },
    });
  }, 30_000);

  afterAll(async () => {
    await signServer?.close();
  });

  it('connects once the controller trusts the server, without the server being told about the controller', async () => {
    const pkiDir = path.join(work.dir, 'sign-controller-pki');
    await trustCertificateFile(pkiDir, pkiLayout(path.join(work.dir, 'sign-server-pki'), 'server').ownCertificate);
    const transport = createOpcuaTransport({ endpointUrl: signServer.endpointUrl, objectPath: ['sign-line', 'feeder'], pkiDir, security: { mode: 'Sign', policy: 'Basic256Sha256' } });
    open.push(transport);
    const recorder = new TransportRecorder(transport);
    await transport.connect();
    expect(recorder.connections[0]?.reason).toContain('(Sign, publishing interval');
    const from = recorder.deliveries.length;
    signStore.setPlc({ CardSerial: 'CL00000042', CardPresent: true });
    await recorder.delivery((d) => d.changes.CardPresent === true, { from });
    expect(recorder.plc.CardSerial).toBe('CL00000042');
    // The server trusted the unknown certificate as configured, and filed it under trusted/.
    expect(await readdir(pkiLayout(path.join(work.dir, 'sign-server-pki'), 'server').trusted)).toHaveLength(1);
    recorder.detach();
    await transport.close();
  }, 20_000);
});
