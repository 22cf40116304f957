/**
 * Measures the OPC UA link on loopback: connect time, PLC change → onTags latency, write round trip,
 * a 600 KiB job write and a whole job handshake.
 *
 *   node bin/run-ts.js simulators/opcua/measure-latency.ts [publishingIntervalMs=10] [None|SignAndEncrypt] [samples=1000]
 *
 * Each latency sample waits a random 0–2 publishing intervals first, so changes fall anywhere in
 * the publishing cycle (back-to-back changes would ride on the server's immediate flush and look
 * faster than a PLC's changes ever are).
 */
import path from 'node:path';
import { createOpcuaTransport } from '../../src/plc/opcua/opcua-transport.ts';
import { pkiLayout, trustCertificateFile } from '../../src/plc/opcua/pki.ts';
import { runJob, tempDir, TransportRecorder } from '../../src/plc/opcua/testing.ts';
import { TagStore } from '../../src/plc/tag-store.ts';
import { startOpcuaServer } from './opcua-server.ts';
import { attachScriptedPlc } from '../testing/scripted-plc.ts';

const publishingIntervalMs = Number(process.argv[2] ?? 10);
const mode = (process.argv[3] ?? 'None') as 'None' | 'SignAndEncrypt';
const samples = Number(process.argv[4] ?? 1000);
const policy = mode === 'None' ? 'None' : 'Basic256Sha256';

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms (n=${values.length})`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const work = await tempDir('opcua-measure');
const store = new TagStore('bench');
const detach = attachScriptedPlc(store);
const serverPki = path.join(work.dir, 'server-pki');
const clientPki = path.join(work.dir, 'client-pki');
const server = await startOpcuaServer({
  host: '127.0.0.1',
  port: 0,
  units: [{ unitId: 'bench', objectPath: ['bench', 'unit'], store }],
  pkiDir: serverPki,
  security: { mode, policy, allowAnonymous: true, users: [], acceptUnknownCertificates: true },
});
if (mode !== 'None') await trustCertificateFile(clientPki, pkiLayout(serverPki, 'server').ownCertificate);

const options = { endpointUrl: server.endpointUrl, objectPath: ['bench', 'unit'], pkiDir: clientPki, security: { mode, policy }, publishingIntervalMs } as const;
try {
  // Cold: the controller creates its certificate (RSA 2048) on its very first connection.
  let t0 = performance.now();
  const cold = createOpcuaTransport(options);
  await cold.connect();
  const coldMs = performance.now() - t0;
  await cold.close();
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = createOpcuaTransport(options);
    t0 = performance.now();
    await t.connect();
    warm.push(performance.now() - t0);
    await t.close();
  }

  const transport = createOpcuaTransport(options);
  const recorder = new TransportRecorder(transport);
  await transport.connect();
  console.log(`OPC UA ${mode}, publishing interval requested ${publishingIntervalMs} ms, granted: ${recorder.connections[0]?.reason}`);
  console.log(`connect (first ever, creates the client certificate): ${coldMs.toFixed(0)} ms; connect: ${stats(warm)}`);

  const latency: number[] = [];
  for (let i = 0; i < samples; i++) {
    await sleep(Math.random() * 2 * publishingIntervalMs);
    const done = !store.get('Done');
    const from = recorder.deliveries.length;
    const start = performance.now();
    store.setPlc({ Done: done });
    const d = await recorder.delivery((x) => x.changes.Done === done, { from });
    latency.push(d.at - start);
  }
  console.log(`store.setPlc({Done}) → onTags: ${stats(latency)}`);

  const writes: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await transport.write({ HostHeartbeat: i });
    writes.push(performance.now() - start);
  }
  console.log(`write({HostHeartbeat}) round trip: ${stats(writes)}`);

  const job = Buffer.alloc(600 * 1024, 7);
  const jobWrites: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    await transport.writeJob(i + 1, job);
    jobWrites.push(performance.now() - start);
  }
  console.log(`writeJob(600 KiB) round trip: ${stats(jobWrites)}`);

  const jobs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    await runJob(transport, recorder, 1000 + i, Buffer.alloc(2000, i));
    jobs.push(performance.now() - start);
  }
  console.log(`whole job handshake (writeJob, JobReady → JobAck, Done, readResultData, DoneAck → Done cleared, DoneAck off), 2 KB job: ${stats(jobs)}`);
  recorder.detach();
  await transport.close();
} finally {
  detach();
  await server.close();
  await work.remove();
}
