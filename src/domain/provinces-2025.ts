/**
 * The administrative map from 1 July 2025 (reference/vn-provinces-2025.json, its source named
 * there): 34 provincial-level units and no district level. A card issued from that day prints
 * addresses as commune/ward, then today's province; personal ID numbers keep the 63 historic codes
 * (personal-id.ts), so the historic table stays and this one maps its codes to today's provinces.
 *
 * Addresses are free text, so finding their province is a match of the last comma-separated part
 * against the names of both maps, compared without diacritics, spaces, punctuation or a leading
 * "tỉnh" / "thành phố" / "TP" (the names of the two maps stay distinct under that folding; the
 * sanity test checks it).
 */
import { z } from 'zod';
import { compareDates, type CivilDate } from './dates.ts';
import { PROVINCE_CODES, provinceName } from './personal-id.ts';
import reference from './reference/vn-provinces-2025.json' with { type: 'json' };

const ReferenceSchema = z.object({
  effective: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  centrallyRunCities: z.array(z.string().min(1)),
  provinces: z.record(z.string().min(1), z.array(z.string().regex(/^\d{3}$/)).min(1)),
});
const table = ReferenceSchema.parse(reference);

/** The day the 34-province map took effect. */
export const REFORM_2025: CivilDate = { year: 2025, month: 7, day: 1 };

/** Today's 34 provincial-level units, in the table's order. */
export const CURRENT_PROVINCES: readonly string[] = Object.keys(table.provinces);
export const CENTRALLY_RUN_CITIES: readonly string[] = table.centrallyRunCities;

const currentByCode = new Map<string, string>();
for (const [name, codes] of Object.entries(table.provinces)) for (const code of codes) currentByCode.set(code, name);

/** True when a card issued on `date` carries the 2025 map's addresses. */
export function issuedAfterReform(date: CivilDate): boolean {
  return compareDates(date, REFORM_2025) >= 0;
}

/** The province a historic (PID) province code lies in today; undefined for codes of births abroad. */
export function currentProvinceOf(code: string): string | undefined {
  return currentByCode.get(code);
}

/** The key names are compared by: no diacritics, no case, no spaces or punctuation, no "tỉnh"/"thành phố"/"TP". */
export function provinceKey(name: string): string {
  const folded = name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
  return folded.replace(/^(tinh|thanhpho|tp)/, '');
}

const currentByKey = new Map(CURRENT_PROVINCES.map((name) => [provinceKey(name), name]));
/** Historic names that are not today's names: what each became. */
const historicByKey = new Map(
  PROVINCE_CODES.flatMap((code) => {
    const name = provinceName(code)!;
    return currentByKey.has(provinceKey(name)) ? [] : [[provinceKey(name), { name, now: currentByCode.get(code)! }] as const];
  }),
);

export type ProvinceMatch =
  | { readonly kind: 'current'; readonly name: string }
  | { readonly kind: 'historic'; readonly name: string; readonly now: string };

/** The province an address names (its last comma-separated part), on either map; undefined if none. */
export function provinceOfAddress(address: string): ProvinceMatch | undefined {
  const parts = address.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const last = parts.at(-1);
  if (last === undefined) return undefined;
  const key = provinceKey(last);
  const current = currentByKey.get(key);
  if (current !== undefined) return { kind: 'current', name: current };
  const historic = historicByKey.get(key);
  return historic === undefined ? undefined : { kind: 'historic', name: historic.name, now: historic.now };
}

/** quận, huyện, thị xã and cities under a province: the district level the reform abolished. */
const DISTRICT_LEVEL = /^(quận|huyện|thị xã|thành phố|tp\.?)\s/u;

/** The district-level units an address names before its province (none on the 2025 map). */
export function districtLevelParts(address: string): string[] {
  const parts = address.split(',').map((p) => p.normalize('NFC').trim()).filter((p) => p !== '');
  return parts.slice(0, -1).filter((p) => DISTRICT_LEVEL.test(p.toLowerCase()));
}

/**
 * What is out of date in an address printed on a card issued from 1 July 2025: a province that no
 * longer exists (with the one it merged into) and district-level units. Messages name provinces,
 * never the rest of the address.
 */
export function addressReformNotes(address: string): string[] {
  const notes: string[] = [];
  const province = provinceOfAddress(address);
  if (province?.kind === 'historic') {
    notes.push(`names the province ${province.name}, which no longer exists: since 1 July 2025 it is part of ${province.now}`);
  }
  const districts = districtLevelParts(address).length;
  if (districts > 0) notes.push(`has ${districts === 1 ? 'a district-level unit' : `${districts} district-level units`}, a level the 1 July 2025 reform abolished (addresses are commune/ward, then province)`);
  return notes;
}
