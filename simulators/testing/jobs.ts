/**
 * Jobs a scripted host sends in simulator tests and the demo: a synthetic record per card serial
 * (an MRZ in the Vietnamese TD1 shape, a DG1 with it, two small "page images").
 */
import type { StationKind } from '../../src/config/line-config.ts';
import { documentKeysFromTd1 } from '../../src/domain/bac/keys.ts';
import type { Job } from '../../src/plc/job-data.ts';
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

export function jobFor(kind: StationKind, n: number): Job {
  const mrz = syntheticMrz(n);
  switch (kind) {
    case 'feeder':
      return { v: 1, kind: 'feed', recordRef: `rec-${n}` };
    case 'encoder':
      // The BAC keys derive from the MRZ the laser engraves, so QA's reader gets in (docs/bac.md).
      return { v: 1, kind: 'chip', files: chipFiles(mrz), bac: documentKeysFromTd1(mrz)! };
    case 'laser':
      return {
        v: 1,
        kind: 'laser',
        sides: [
          { side: 'front', mediaType: 'image/png', data: Buffer.from(`front ${n}`) },
          { side: 'back', mediaType: 'image/png', data: Buffer.from(`back ${n}`) },
        ],
        mrz,
      };
    case 'qa':
      return { v: 1, kind: 'inspect' };
    case 'output':
      return { v: 1, kind: 'output', destination: 'stacker' };
    case 'packer':
      return { v: 1, kind: 'pack', packId: `PACK-${n}`, office: 'Hà Nội', pocket: 0, closesPack: false };
  }
}
