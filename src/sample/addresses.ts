/**
 * Residence and place-of-origin texts in the forms civil records use: house number, alley, street,
 * ward, district, province in towns ("Số 12, đường Lê Lợi, phường Bến Nghé, Quận 1, TP Hồ Chí
 * Minh"; "Số 5, ngõ 42, phố …" in the north; "Số 17, hẻm 8, đường …" in the south; apartments),
 * hamlet, commune, district, province in the countryside. The province name is the reference
 * table's; the smaller units are drawn from the pools in places.ts, so addresses are invented.
 */
import { provinceName } from '../domain/personal-id.ts';
import { APARTMENT_BLOCKS, COMMUNES, HAMLETS, PROVINCE_PLACES, STREETS, WARDS } from './places.ts';
import type { Rng } from './rng.ts';

/** The five centrally governed cities of the pre-2025 map: mostly urban. */
const MUNICIPALITIES = new Set(['001', '079', '031', '048', '092']);

function places(code: string) {
  const p = PROVINCE_PLACES[code];
  const name = provinceName(code);
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

export function residence(rng: Rng, code: string): string {
  const { p, name } = places(code);
  const southern = p.region === 'mekong-southeast';
  const urban = rng.chance(MUNICIPALITIES.has(code) ? 0.78 : 0.35);
  if (!urban) {
    const hamlets = HAMLETS[p.region];
    const hamlet = rng.chance(0.45) ? String(rng.int(1, 12)) : rng.pick(hamlets.names);
    return `${rng.pick(hamlets.words)} ${hamlet}, xã ${rng.pick(COMMUNES)}, ${rng.pick(p.rural)}, ${name}`;
  }
  const district = rng.pick(p.urban);
  const w = ward(rng, southern, district);
  const street = rng.pick(STREETS);
  const r = rng.next();
  if (r < 0.08 && MUNICIPALITIES.has(code)) {
    return `Căn hộ ${rng.int(2, 28)}${String(rng.int(1, 20)).padStart(2, '0')}, ${rng.pick(APARTMENT_BLOCKS)}, ${w}, ${district}, ${name}`;
  }
  // Neighbourhood groups: tổ dân phố in the north and centre, khu phố in the south.
  if (r < 0.18) return `${southern ? 'Khu phố' : 'Tổ'} ${rng.int(1, 40)}, ${w}, ${district}, ${name}`;
  if (r < 0.45) {
    return southern
      ? `Số ${houseNumber(rng)}, hẻm ${rng.int(2, 400)}, đường ${street}, ${w}, ${district}, ${name}`
      : `Số ${houseNumber(rng)}, ngõ ${rng.int(2, 300)}, phố ${street}, ${w}, ${district}, ${name}`;
  }
  return `Số ${houseNumber(rng)}, ${southern ? 'đường' : rng.pick(['phố', 'đường'])} ${street}, ${w}, ${district}, ${name}`;
}

/** Quê quán: the commune, district and province the family comes from. */
export function placeOfOrigin(rng: Rng, code: string): string {
  const { p, name } = places(code);
  if (rng.chance(0.12)) return `${ward(rng, p.region === 'mekong-southeast', '')}, ${rng.pick(p.urban)}, ${name}`;
  return `xã ${rng.pick(COMMUNES)}, ${rng.pick(p.rural)}, ${name}`;
}
