/**
 * The delivery office of a record: where its card is sent once made (the commune/ward police unit
 * that took the application, say). A record may name it (`deliveryOffice`); otherwise the importer
 * resolves the province of residence from the place table (reference/vn-provinces-2025.json) and
 * stores the result with the record, so the line never parses free text. A residence whose last
 * part names no province goes to the office `UNSORTED`, for a person to sort by hand.
 */
import { z } from 'zod';
import reference from './reference/vn-provinces-2025.json' with { type: 'json' };
import { PROVINCE_CODES, provinceName } from './personal-id.ts';

/** The office of the cards whose office could not be resolved. */
export const UNSORTED = 'UNSORTED';

/** Letters with their diacritics, digits, spaces and the punctuation office names use. */
export const OFFICE_PATTERN = /^[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N} .,\-–/()'’&]*$/u;

/** The 2025 map (src/domain/provinces-2025.ts reads it too): each unit of today and the historic province codes it covers. */
const TableSchema = z.object({
  provinces: z.record(z.string().min(1), z.array(z.string().regex(/^\d{3}$/)).min(1)),
});
const table = TableSchema.parse(reference);

/**
 * A place name folded for matching: no diacritics (so "Hoà" and "Hòa" meet), đ → d, lower case,
 * dashes as spaces, the words for "province" and "city" in front dropped.
 */
export function foldPlaceName(name: string): string {
  const plain = name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/gu, 'd')
    .toLowerCase()
    .replace(/[-–—]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
  return plain.replace(/^(tinh|thanh pho|tp\.?)\s*/u, '').trim();
}

/** Folded name (of a unit of today or a historic province) → the unit of today. */
const UNIT_OF = new Map<string, string>();
for (const [unit, codes] of Object.entries(table.provinces)) {
  for (const name of [unit, ...codes.map((code) => provinceName(code) ?? code)]) UNIT_OF.set(foldPlaceName(name), unit);
}

/** The provincial units of today, as the table names them. */
export const PROVINCES_2025: readonly string[] = Object.keys(table.provinces);

/** The historic provinces (vn-personal-id.json) the table does not place in a unit of today: empty when the tables agree. */
export function historicProvincesWithoutUnit(): string[] {
  return PROVINCE_CODES.map((code) => provinceName(code)!).filter((name) => !UNIT_OF.has(foldPlaceName(name)));
}

/**
 * The provincial unit of today that covers a residence, from the residence's last comma-separated
 * part (where civil records write the province); undefined when that part names no province.
 */
export function provinceOfResidence(residence: string): string | undefined {
  const parts = residence.split(',');
  return UNIT_OF.get(foldPlaceName(parts[parts.length - 1] ?? ''));
}

export interface ResolvedOffice {
  readonly office: string;
  /** `record`: the record names it; `residence`: the province of residence; `unsorted`: neither. */
  readonly source: 'record' | 'residence' | 'unsorted';
}

/** The office a record's card is delivered to (done once, by the importer). */
export function resolveDeliveryOffice(record: { readonly deliveryOffice?: string | undefined; readonly residence: string }): ResolvedOffice {
  if (record.deliveryOffice !== undefined) return { office: record.deliveryOffice, source: 'record' };
  const province = provinceOfResidence(record.residence);
  return province === undefined ? { office: UNSORTED, source: 'unsorted' } : { office: province, source: 'residence' };
}
