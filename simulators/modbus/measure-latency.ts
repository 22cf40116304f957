/**
 * Measures the handshake-relevant latencies of the Modbus transport against the simulator's server
 * over loopback: PLC store change → onTags, write round trip (and write → store), one FC3 poll's
 * round trip, and a whole job handshake. Run: node bin/run-ts.js simulators/modbus/measure-latency.ts [pollMs ...]
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { TagStore } from '../../src/plc/tag-store.ts';
import { createModbusTransport } from '../../src/plc/modbus/modbus-transport.ts';
import { freePort, startModbusServer } from './modbus-server.ts';
import { scriptedPlc } from '../testing/scripted-plc.ts';
import { tempJobDir, watchTags } from './test-support.ts';

const SAMPLES = 200;

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms, min ${sorted[0]!.toFixed(2)}, max ${sorted.at(-1)!.toFixed(2)} (n=${values.length})`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(pollMs: number): Promise<void> {
  const jobDir = tempJobDir('latency');
  const plc = scriptedPlc(new TagStore('unit'));
  const port = await freePort();
  const server = await startModbusServer({ host: '127.0.0.1', port, units: [{ unitId: 1, store: plc.store, jobDir }] });
  const t = createModbusTransport({ port, jobDir, pollMs });
  const w = watchTags(t);
  await t.connect();

  // 1. PLC change → onTags, at phases uncorrelated with the poll: random gaps spanning many poll
  // periods, so the change lands uniformly within one.
  const change: number[] = [];
  for (let i = 1; i <= SAMPLES; i++) {
    await sleep(Math.random() * pollMs * 8);
    const t0 = performance.now();
    plc.store.setPlc({ Heartbeat: i });
    await w.waitFor((img) => img.Heartbeat === i, `Heartbeat ${i}`);
    change.push(performance.now() - t0);
  }

  // 2. Write round trip (promise resolved) and write → the station's store, with polling going on.
  const write: number[] = [];
  const toStore: number[] = [];
  let stored = 0;
  const off = plc.store.onChange((c, by) => {
    if (by === 'host' && c.HostHeartbeat !== undefined) stored = performance.now();
  });
  for (let i = 1; i <= SAMPLES; i++) {
    await sleep(Math.random() * pollMs);
    const t0 = performance.now();
    await t.write({ HostHeartbeat: i });
    write.push(performance.now() - t0);
    toStore.push(stored - t0);
  }
  off();

  // 3. One FC3 request's round trip: a command's confirmation poll is one (urgent) FC3 after one FC16.
  const command: number[] = [];
  for (let i = 0; i < SAMPLES / 4; i++) {
    plc.store.setPlc({ StateCurrent: 2 });
    const t0 = performance.now();
    await t.command('Reset');
    command.push(performance.now() - t0);
  }

  // 4. A whole job: writeJob + JobReady → JobAck seen → Done seen → DoneAck → Done cleared.
  const ack: number[] = [];
  const done: number[] = [];
  const cycle: number[] = [];
  for (let i = 1; i <= SAMPLES / 4; i++) {
    const jobId = 1000 + i;
    const t0 = performance.now();
    await t.writeJob(jobId, Buffer.from(`job ${jobId}`));
    await t.write({ JobReady: true });
    const t1 = performance.now();
    await w.waitFor((img) => img.JobAck === jobId, 'JobAck');
    ack.push(performance.now() - t1);
    await t.write({ JobReady: false });
    const d = await w.waitFor((img) => img.Done === true && img.ResultJobId === jobId, 'Done');
    done.push(performance.now() - t1);
    await t.readResultData(jobId, { size: d.ResultDataSize!, crc32: d.ResultDataCrc32! });
    await t.write({ DoneAck: true });
    await w.waitFor((img) => img.Done === false, 'Done cleared');
    await t.write({ DoneAck: false });
    cycle.push(performance.now() - t0);
  }

  console.log(`pollMs ${pollMs}`);
  console.log(`  PLC change → onTags       ${stats(change)}`);
  console.log(`  write() round trip        ${stats(write)}`);
  console.log(`  write() → station store   ${stats(toStore)}`);
  console.log(`  command() (FC16 + FC3)    ${stats(command)}`);
  console.log(`  JobReady written → JobAck ${stats(ack)}`);
  console.log(`  JobReady written → Done   ${stats(done)}`);
  console.log(`  whole job handshake       ${stats(cycle)}`);
  w.stop();
  await t.close();
  await server.close();
  plc.detach();
  rmSync(jobDir, { recursive: true, force: true });
}

const polls = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const pollMs of polls.length > 0 ? polls : [20]) await measure(pollMs);
