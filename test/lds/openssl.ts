/**
 * Helpers for the tests that hand chip files to OpenSSL. OpenSSL is a test dependency: .ci/run
 * installs it (Debian package openssl) when /usr/bin/openssl is missing.
 */
import { derProblem } from '../../src/domain/lds/asn1.ts';

export const openssl = process.env['OPENSSL'] ?? '/usr/bin/openssl';

/** The ContentInfo inside EF.SOD: the content of its 77 wrapper, which `openssl cms` reads. */
export function sodContentInfo(sod: Buffer): Buffer {
  if (sod[0] !== 0x77 || derProblem(sod) !== undefined) throw new Error('not a DER EF.SOD (77 wrapper)');
  const lengthOctets = sod[1]! < 0x80 ? 0 : sod[1]! & 0x7f;
  return sod.subarray(2 + lengthOctets);
}

export interface TopLevel {
  /** Objects at depth 0 (one for a well-formed file). */
  readonly count: number;
  /** Header plus content length of the first one. */
  readonly length: number;
  /** How asn1parse names its tag, e.g. "appl [ 1 ]". */
  readonly tag: string;
}

/** The depth-0 objects of `openssl asn1parse` output ("    0:d=0  hl=2 l=  93 cons: appl [ 1 ]"). */
export function topLevelObject(output: string): TopLevel {
  const lines = output.split('\n').filter((l) => /^\s*\d+:d=0\s/.test(l));
  const m = /^\s*0:d=0\s+hl=(\d+)\s+l=\s*(\d+)\s+(?:cons|prim):\s+(.*?)\s*$/.exec(lines[0] ?? '');
  if (m === null) throw new Error(`no object at offset 0 in asn1parse output: ${output.slice(0, 200)}`);
  return { count: lines.length, length: Number(m[1]) + Number(m[2]), tag: m[3]! };
}

/** asn1parse's name for a one-octet application-class tag (all LDS files start with one). */
export const applicationTag = (tag: number): string => `appl [ ${tag & 0x1f} ]`;
