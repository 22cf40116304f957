/**
 * Jobs a scripted host sends in simulator tests and the demo: a synthetic record per card serial
 * (an MRZ in the Vietnamese TD1 shape, a DG1 with it, two small "page images").
 */
import { documentKeysFromTd1 } from '../../src/domain/bac/keys.ts';
import type { PreparedRecord } from '../../src/line/ports.ts';
import { decodeJob, encodeJob, type Job } from '../../src/plc/job-data.ts';
import { feedJob, packJob, SORT_JOBS, stationKind, type StationKind } from '../../src/stations/kinds.ts';
import { encodeDg1 } from '../model/chip.ts';

/** Three 30-character TD1 lines for record `n` (shape only; check digits are not the point here). */
export function syntheticMrz(n: number): [string, string, string] {
  const num = String(n).padStart(12, '0');
  const line1 = `IDVNM${num.slice(3)}0${num}<<0`.padEnd(30, '<').slice(0, 30);
  const line2 = `9001011M3001017VNM<<<<<<<<<<<4`;
  const name = `NGUYEN<<VAN<A${String.fromCharCode(65 + (n % 26))}`.padEnd(30, '<');
  return [line1, line2, name];
}

export function chipFiles(mrz: readonly string[]): { fid: string; data: Buffer<ArrayBuffer> }[] {
  return [
    // EF.COM: 60 { 5F01 "0107", 5F36 "040000", 5C 61 75 }
    { fid: '011E', data: Buffer.from('60145F0104303130375F36063034303030305C026175', 'hex') },
    { fid: '0101', data: Buffer.from(encodeDg1(mrz)) },
    { fid: '0102', data: Buffer.from(`portrait of ${mrz[2]}`) },
  ];
}

/** Record `n` prepared the light way: its chip job (with BAC keys from its MRZ) and two small page images. */
export function syntheticPrepared(n: number): PreparedRecord {
  const mrz = syntheticMrz(n);
  return {
    batchId: 'synthetic',
    seq: n,
    mrz,
    // The BAC keys derive from the MRZ the laser engraves, so QA's reader gets in (docs/bac.md).
    chipJob: encodeJob({ v: 1, kind: 'chip', files: chipFiles(mrz), bac: documentKeysFromTd1(mrz)! }),
    laserJob: encodeJob({
      v: 1,
      kind: 'laser',
      sides: [
        { side: 'front', mediaType: 'image/png', data: Buffer.from(`front ${n}`) },
        { side: 'back', mediaType: 'image/png', data: Buffer.from(`back ${n}`) },
      ],
      mrz,
    }),
  };
}

/** The job the station-kind table gives record `n`'s card at `kind` (the output stacks it). */
export function jobFor(kind: StationKind, n: number): Job {
  const def = stationKind(kind);
  const data =
    def.role === 'feed' ? feedJob(`rec-${n}`)
    : def.role === 'sort' ? SORT_JOBS.stacker
    : def.role === 'pack' ? packJob({ packId: `PACK-${n}`, office: 'Hà Nội', pocket: 0, closesPack: false })
    : def.job!(syntheticPrepared(n));
  const decoded = decodeJob(data);
  if (!decoded.ok) throw new Error(`${kind}: ${decoded.reason}`);
  return decoded.value;
}
