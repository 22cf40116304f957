/**
 * Residence and place-of-origin texts in the forms civil records use: house number, alley, street,
 * ward, district, province in towns ("Số 12, đường Lê Lợi, phường Bến Nghé, Quận 1, TP Hồ Chí
 * Minh"; "Số 5, ngõ 42, phố …" in the north; "Số 17, hẻm 8, đường …" in the south; apartments),
 * hamlet, commune, district, province in the countryside. The province name is the reference
 * table's; the smaller units are drawn from the pools in places.ts, so addresses are invented.
 *
 * Two maps (src/domain/provinces-2025.ts): `historic`, the three-level map of the 63 provinces that
 * civil records and cards issued before 1 July 2025 carry, and `2025`, the two-level map of the 34
 * provinces (street or hamlet, commune or ward, province — no district) that a card issued from
 * that day prints. On the 2025 map wards are drawn by name: the reference does not say how the
 * numbered wards of the southern cities were renamed, so none is invented.
 */
import { provinceName } from '../domain/personal-id.ts';
import { currentProvinceOf } from '../domain/provinces-2025.ts';
import { APARTMENT_BLOCKS, COMMUNES, HAMLETS, PROVINCE_PLACES, STREETS, WARDS } from './places.ts';
import type { Rng } from './rng.ts';

/** The five centrally governed cities of the pre-2025 map: mostly urban. */
const MUNICIPALITIES = new Set(['001', '079', '031', '048', '092']);

/** Which administrative map an address is drawn on. */
export type AddressMap = 'historic' | '2025';

function places(code: string, map: AddressMap) {
  const p = PROVINCE_PLACES[code];
  const name = map === 'historic' ? provinceName(code) : currentProvinceOf(code);
  if (p === undefined || name === undefined) throw new RangeError(`addresses: no place data for province code ${code}`);
  return { p, name };
}

function houseNumber(rng: Rng): string {
  const n = String(rng.int(1, 250));
  return rng.chance(0.08) ? n + rng.pick(['A', 'B', 'C']) : n;
}

function ward(rng: Rng, southern: boolean, district: string): string {
  // Southern cities (and Hồ Chí Minh City's numbered districts) still have numbered wards.
  if (southern && (district.startsWith('Quận') || rng.chance(0.3))) return `Phường ${rng.int(1, 15)}`;
  return `phường ${rng.pick(WARDS)}`;
}

/** The residence of someone living in province `code` (a historic code; on the 2025 map, the province it is part of). */
export function residence(rng: Rng, code: string, map: AddressMap = 'historic'): string {
  const { p, name } = places(code, map);
  const southern = p.region === 'mekong-southeast';
  const urban = rng.chance(MUNICIPALITIES.has(code) ? 0.78 : 0.35);
  if (!urban) {
    const hamlets = HAMLETS[p.region];
    const hamlet = rng.chance(0.45) ? String(rng.int(1, 12)) : rng.pick(hamlets.names);
    const commune = `xã ${rng.pick(COMMUNES)}`;
    return map === 'historic' ? `${rng.pick(hamlets.words)} ${hamlet}, ${commune}, ${rng.pick(p.rural)}, ${name}` : `${rng.pick(hamlets.words)} ${hamlet}, ${commune}, ${name}`;
  }
  // On the 2025 map the ward is followed by the province: the district part is left out.
  const district = map === 'historic' ? rng.pick(p.urban) : undefined;
  const w = district === undefined ? `phường ${rng.pick(WARDS)}` : ward(rng, southern, district);
  const unit = district === undefined ? w : `${w}, ${district}`;
  const street = rng.pick(STREETS);
  const r = rng.next();
  if (r < 0.08 && MUNICIPALITIES.has(code)) {
    return `Căn hộ ${rng.int(2, 28)}${String(rng.int(1, 20)).padStart(2, '0')}, ${rng.pick(APARTMENT_BLOCKS)}, ${unit}, ${name}`;
  }
  // Neighbourhood groups: tổ dân phố in the north and centre, khu phố in the south.
  if (r < 0.18) return `${southern ? 'Khu phố' : 'Tổ'} ${rng.int(1, 40)}, ${unit}, ${name}`;
  if (r < 0.45) {
    return southern
      ? `Số ${houseNumber(rng)}, hẻm ${rng.int(2, 400)}, đường ${street}, ${unit}, ${name}`
      : `Số ${houseNumber(rng)}, ngõ ${rng.int(2, 300)}, phố ${street}, ${unit}, ${name}`;
  }
  return `Số ${houseNumber(rng)}, ${southern ? 'đường' : rng.pick(['phố', 'đường'])} ${street}, ${unit}, ${name}`;
}

/** Quê quán: the commune (and on the historic map the district) and province the family comes from. */
export function placeOfOrigin(rng: Rng, code: string, map: AddressMap = 'historic'): string {
  const { p, name } = places(code, map);
  if (map === '2025') return rng.chance(0.12) ? `phường ${rng.pick(WARDS)}, ${name}` : `xã ${rng.pick(COMMUNES)}, ${name}`;
  if (rng.chance(0.12)) return `${ward(rng, p.region === 'mekong-southeast', '')}, ${rng.pick(p.urban)}, ${name}`;
  return `xã ${rng.pick(COMMUNES)}, ${rng.pick(p.rural)}, ${name}`;
}
