/**
 * The elementary files of the ICAO 9303-10 LDS (version 1.7) that a căn cước chip carries, as
 * data: file identifier, the tag the file starts with, and for data groups the number EF.SOD
 * hashes them under. `fileName` is what `cardline chip build` writes to disk.
 */

export interface LdsFileInfo {
  /** Short file identifier as 4 upper-case hex digits (the encoder job's `fid`). */
  readonly fid: string;
  readonly name: string;
  /** The first tag of the file (one octet for all LDS 1.7 files). */
  readonly tag: number;
  /** Data group number (1–16), absent for EF.COM and EF.SOD. */
  readonly dataGroup?: number;
  /** File name used by `cardline chip build` / `chip verify`. */
  readonly fileName: string;
}

/** Data group n lives in file 01 0n and starts with this tag (ICAO 9303-10, table 35). */
const DG_TAGS: readonly number[] = [0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70];

export const EF_COM: LdsFileInfo = { fid: '011E', name: 'EF.COM', tag: 0x60, fileName: 'EF.COM' };
export const EF_SOD: LdsFileInfo = { fid: '011D', name: 'EF.SOD', tag: 0x77, fileName: 'EF.SOD' };

export const DATA_GROUPS: readonly LdsFileInfo[] = DG_TAGS.map((tag, i) => ({
  fid: (0x0101 + i).toString(16).toUpperCase().padStart(4, '0'),
  name: `DG${i + 1}`,
  tag,
  dataGroup: i + 1,
  fileName: `DG${i + 1}.bin`,
}));

export const LDS_FILES: readonly LdsFileInfo[] = [EF_COM, ...DATA_GROUPS, EF_SOD];

const BY_FID = new Map(LDS_FILES.map((f) => [f.fid, f]));
const BY_FILE_NAME = new Map(LDS_FILES.map((f) => [f.fileName, f]));

export function dataGroup(n: number): LdsFileInfo {
  const info = DATA_GROUPS[n - 1];
  if (info === undefined) throw new RangeError(`no data group ${n} in LDS 1.7`);
  return info;
}

export function fileByFid(fid: string): LdsFileInfo | undefined {
  return BY_FID.get(fid.toUpperCase());
}

export function fileByFileName(fileName: string): LdsFileInfo | undefined {
  return BY_FILE_NAME.get(fileName);
}

export const DG1 = dataGroup(1);
export const DG2 = dataGroup(2);
export const DG13 = dataGroup(13);

/** One file of an LDS image: what the encoder job carries (`{fid, data}`). */
export interface LdsFile {
  readonly fid: string;
  readonly data: Buffer;
}
