/**
 * EF.COM (ICAO 9303-10, 4.6.1): LDS version, Unicode version and the tags of the data groups
 * present. `60 { 5F01 "0107", 5F36 "040000", 5C <tags> }`. Not hashed by EF.SOD; the verifier
 * checks its tag list against the data groups EF.SOD covers.
 */
import { expectConstructed, expectPrimitive, fail, parseDer, type Parsed } from './asn1.ts';
import { tlv } from './der.ts';
import { dataGroup, DATA_GROUPS, EF_COM } from './files.ts';

/** LDS 1.7 ("0107": major 01, minor 07) and Unicode 4.0.0, the values ICAO 9303-10 gives. */
export const LDS_VERSION = '0107';
export const UNICODE_VERSION = '040000';

/** A card has one of very few data group sets ({1, 2, 13}, {1, 13}): encode each once. */
const ENCODED = new Map<number, Buffer>();

export function encodeEfCom(dataGroups: readonly number[]): Buffer {
  const key = dataGroups.reduce((k, n) => k * 17 + n, dataGroups.length);
  let encoded = ENCODED.get(key);
  if (encoded === undefined) {
    const tags = Buffer.from(dataGroups.map((n) => dataGroup(n).tag));
    encoded = tlv(EF_COM.tag, tlv(0x5f01, Buffer.from(LDS_VERSION, 'latin1')), tlv(0x5f36, Buffer.from(UNICODE_VERSION, 'latin1')), tlv(0x5c, tags));
    ENCODED.set(key, encoded);
  }
  // A copy: the caller owns the file's bytes.
  return Buffer.from(encoded);
}

export interface EfCom {
  readonly ldsVersion: string;
  readonly unicodeVersion: string;
  /** Data group numbers in the order EF.COM lists them. */
  readonly dataGroups: readonly number[];
}

export function decodeEfCom(data: Uint8Array): Parsed<EfCom> {
  const parsed = parseDer(data, 'EF.COM');
  if (!parsed.ok) return parsed;
  const top = expectConstructed(parsed.value, EF_COM.tag, 'EF.COM');
  if (!top.ok) return top;
  const [versionNode, unicodeNode, listNode, ...extra] = top.value;
  if (extra.length > 0) return fail(`EF.COM has ${extra.length} unexpected element(s) after the tag list`);
  const version = expectPrimitive(versionNode, 0x5f01, 'EF.COM LDS version (5F01)');
  if (!version.ok) return version;
  const unicode = expectPrimitive(unicodeNode, 0x5f36, 'EF.COM Unicode version (5F36)');
  if (!unicode.ok) return unicode;
  const list = expectPrimitive(listNode, 0x5c, 'EF.COM tag list (5C)');
  if (!list.ok) return list;
  const ldsVersion = version.value.toString('latin1');
  if (!/^\d{4}$/.test(ldsVersion)) return fail('EF.COM LDS version (5F01) is not 4 digits');
  const unicodeVersion = unicode.value.toString('latin1');
  if (!/^\d{6}$/.test(unicodeVersion)) return fail('EF.COM Unicode version (5F36) is not 6 digits');
  const dataGroups: number[] = [];
  for (const tag of list.value) {
    const dg = DATA_GROUPS.find((d) => d.tag === tag);
    if (dg?.dataGroup === undefined) return fail(`EF.COM tag list holds ${tag.toString(16).toUpperCase().padStart(2, '0')}, which is no data group tag`);
    if (dataGroups.includes(dg.dataGroup)) return fail(`EF.COM lists ${dg.name} twice`);
    dataGroups.push(dg.dataGroup);
  }
  return { ok: true, value: { ldsVersion, unicodeVersion, dataGroups } };
}
