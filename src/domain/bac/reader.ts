/**
 * How an inspection system reads an eMRTD chip (what the QA station does): SELECT the eMRTD
 * application; try a plain SELECT of EF.COM — a chip that requires access control refuses it
 * with 6982 — and if refused, run BAC with the keys derived from the MRZ read off the card;
 * then read EF.COM, every data group it lists (and DG1, which the inspection compares with the
 * printed MRZ, even when EF.COM does not list it), and EF.SOD.
 */
import { readTlv, readTlvs, swHex, SW } from './apdu.ts';
import type { RandomSource } from './chip.ts';
import { documentKeys } from './keys.ts';
import { mrzInformationFromTd1 } from './mrz-information.ts';
import { BacTerminal, SM_CHUNK, type Transceive } from './terminal.ts';

export const EF_COM = '011E';
export const EF_SOD = '011D';
export const DG1 = '0101';

/** LDS1 data group tags (ICAO 9303 Part 10) by data group number. */
const DG_TAGS: Readonly<Record<number, number>> = {
  0x61: 1, 0x75: 2, 0x63: 3, 0x76: 4, 0x65: 5, 0x66: 6, 0x67: 7, 0x68: 8,
  0x69: 9, 0x6a: 10, 0x6b: 11, 0x6c: 12, 0x6d: 13, 0x6e: 14, 0x6f: 15, 0x70: 16,
};

/** The file id of data group `n` (DG1 = 0101 … DG16 = 0110). */
export function dataGroupFid(n: number): string {
  return (0x0100 + n).toString(16).toUpperCase().padStart(4, '0');
}

/** The file ids of the data groups EF.COM lists in its tag list (5C); empty when it does not parse. */
export function dataGroupsOfEfCom(efCom: Buffer): string[] {
  const outer = readTlv(efCom, 0);
  if (!outer || outer.tag !== 0x60) return [];
  const inner = readTlvs(efCom, outer.valueStart, outer.end) ?? [];
  const list = inner.find((t) => t.tag === 0x5c);
  if (!list) return [];
  const fids: string[] = [];
  for (const tag of efCom.subarray(list.valueStart, list.end)) {
    const n = DG_TAGS[tag];
    if (n !== undefined) fids.push(dataGroupFid(n));
  }
  return fids;
}

export interface ReadFile {
  readonly fid: string;
  readonly data: Buffer;
  /** False when the file ended before its TLV length said (a partial write). */
  readonly complete: boolean;
}

export type ChipReadOutcome =
  /** Nothing answered the SELECT of the eMRTD application (an empty chip). */
  | { readonly kind: 'no-application'; readonly sw: number }
  /** The chip requires BAC and it failed (no MRZ, an MRZ that is not TD1, the wrong keys). */
  | { readonly kind: 'access-denied'; readonly reason: string }
  | { readonly kind: 'read'; readonly access: 'bac' | 'plain'; readonly files: readonly ReadFile[]; readonly notes: readonly string[] };

export interface ReadOptions {
  /** The MRZ as read from the card surface (OCR), or null when none was found. */
  readonly mrz: readonly string[] | null;
  readonly random?: RandomSource;
  readonly chunk?: number;
}

export function readEmrtd(transceive: Transceive, options: ReadOptions): ChipReadOutcome {
  const terminal = new BacTerminal(transceive, options.random ? { random: options.random } : {});
  const selected = terminal.selectApplication();
  if (!selected.ok) return { kind: 'no-application', sw: 0 };
  if (selected.value !== SW.OK) return { kind: 'no-application', sw: selected.value };

  let access: 'bac' | 'plain' = 'plain';
  const probe = terminal.selectFile(EF_COM);
  if (probe.ok && probe.value === SW.SECURITY_STATUS_NOT_SATISFIED) {
    if (options.mrz === null) return { kind: 'access-denied', reason: 'the chip requires BAC and no MRZ was read' };
    const info = mrzInformationFromTd1(options.mrz);
    if (!info.ok) return { kind: 'access-denied', reason: `the MRZ read is not TD1: ${info.errors.join('; ')}` };
    const bac = terminal.authenticate(documentKeys(info.mrzInformation));
    if (!bac.ok) return { kind: 'access-denied', reason: `BAC failed: ${bac.reason}` };
    access = 'bac';
  }

  const files: ReadFile[] = [];
  const notes: string[] = [];
  const chunk = options.chunk ?? SM_CHUNK;
  const read = (fid: string): Buffer | undefined => {
    const r = terminal.readFile(fid, chunk);
    if (r.status === 'read') {
      files.push({ fid, data: r.data, complete: r.complete });
      if (!r.complete) notes.push(`${fid}: ${r.data.length} bytes, shorter than its length says`);
      return r.data;
    }
    notes.push(r.status === 'absent' ? `${fid}: not found (${swHex(r.sw)})` : `${fid}: ${r.reason}`);
    return undefined;
  };

  const efCom = read(EF_COM);
  const groups = efCom ? dataGroupsOfEfCom(efCom) : [];
  if (!groups.includes(DG1)) groups.unshift(DG1);
  for (const fid of groups) {
    if (access === 'bac' && !terminal.secured) break;
    read(fid);
  }
  if (access === 'plain' || terminal.secured) read(EF_SOD);
  if (access === 'bac' && !terminal.secured) notes.push('secure messaging broke off; the files read before are reported');
  files.sort((a, b) => a.fid.localeCompare(b.fid));
  return { kind: 'read', access, files, notes };
}
