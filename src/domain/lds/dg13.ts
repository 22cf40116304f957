/**
 * DG13 (ICAO 9303-10 leaves DG13 to the issuing state): the Vietnamese national data. The
 * layout follows what public card readers have reverse-engineered from issued căn cước cards
 * (REFERENCE.md) — it is NOT an official specification; docs/chip-data.md ("DG13") records every
 * choice made where the observations stop:
 *
 *   6D { 30 { 02 01 01,                 -- version 1
 *             06 <DG13_OID>,            -- cardline TEST arc, not the OID of real cards
 *             31 { 30 { 02 01 n, 0C <value> [, 0C <value>] } … } } }
 *
 * Every field of DG13_LAYOUT is written, in field-number order (as observed; strict DER would
 * order the SET by encoding), with an empty UTF8String where the record has no value, so readers
 * that go by position and readers that go by number both find their fields.
 */
import { expectConstructed, expectOid, expectSmallInteger, expectUtf8, fail, parseDer, type Parsed } from './asn1.ts';
import { der, derBytes, headerLength, objectIdentifier, smallInteger, utf8String, writeHeader } from './der.ts';
import { DG13 } from './files.ts';

/**
 * A UUID-derived OID (ITU-T X.667, arc 2.25: no registration needed) that cardline uses to mark
 * its DG13 as TEST data. Replace it with the issuer's OID for production.
 */
export const DG13_OID = '2.25.249276202445458936095185340052383187185';
export const DG13_VERSION = 1;

/** The values DG13 carries, as text the way the card prints them; '' where the record has none. */
export interface Dg13Fields {
  readonly idNumber: string;
  readonly fullName: string;
  readonly birthDate: string;
  readonly sex: string;
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly placeOfOrigin: string;
  readonly residence: string;
  readonly identifyingMarks: string;
  readonly issueDate: string;
  readonly expiryDate: string;
  readonly fatherName: string;
  readonly motherName: string;
  readonly spouseName: string;
  readonly previousIdNumber: string;
  readonly placeOfBirthRegistration: string;
}

export interface Dg13Field {
  readonly number: number;
  /** The record values in this field, in order (field 13 holds two: father, then mother). */
  readonly keys: readonly (keyof Dg13Fields)[];
  readonly label: string;
  /** 'observed' on issued cards by public readers, or a cardline choice where they disagree or are silent. */
  readonly source: 'observed' | 'cardline';
}

export const DG13_LAYOUT: readonly Dg13Field[] = [
  { number: 1, keys: ['idNumber'], label: 'Số định danh cá nhân / personal identification number', source: 'observed' },
  { number: 2, keys: ['fullName'], label: 'Họ, chữ đệm và tên / full name', source: 'observed' },
  { number: 3, keys: ['birthDate'], label: 'Ngày, tháng, năm sinh / date of birth', source: 'observed' },
  { number: 4, keys: ['sex'], label: 'Giới tính / sex', source: 'observed' },
  { number: 5, keys: ['nationality'], label: 'Quốc tịch / nationality', source: 'observed' },
  { number: 6, keys: ['ethnicity'], label: 'Dân tộc / ethnicity', source: 'observed' },
  { number: 7, keys: ['religion'], label: 'Tôn giáo / religion', source: 'observed' },
  { number: 8, keys: ['placeOfOrigin'], label: 'Quê quán / place of origin', source: 'observed' },
  { number: 9, keys: ['residence'], label: 'Nơi thường trú / place of residence', source: 'observed' },
  { number: 10, keys: ['identifyingMarks'], label: 'Đặc điểm nhận dạng / identifying marks', source: 'observed' },
  { number: 11, keys: ['issueDate'], label: 'Ngày cấp / date of issue', source: 'observed' },
  { number: 12, keys: ['expiryDate'], label: 'Có giá trị đến / date of expiry', source: 'observed' },
  { number: 13, keys: ['fatherName', 'motherName'], label: 'Họ tên cha, mẹ / father’s and mother’s names', source: 'observed' },
  { number: 14, keys: ['spouseName'], label: 'Họ tên vợ/chồng / spouse’s name', source: 'cardline' },
  { number: 16, keys: ['previousIdNumber'], label: 'Số CMND/CCCD cũ / previous ID number', source: 'cardline' },
  { number: 17, keys: ['placeOfBirthRegistration'], label: 'Nơi đăng ký khai sinh / place of birth registration', source: 'cardline' },
];

const EMPTY_FIELDS: Dg13Fields = Object.freeze(
  Object.fromEntries(DG13_LAYOUT.flatMap((f) => f.keys).map((k) => [k, ''])) as unknown as Dg13Fields,
);

const HEADER = Buffer.concat([smallInteger(DG13_VERSION), objectIdentifier(DG13_OID)]);
const FIELD_NUMBERS = DG13_LAYOUT.map((f) => smallInteger(f.number));
const KEYS: readonly (keyof Dg13Fields)[] = DG13_LAYOUT.flatMap((f) => f.keys);
const SMALL_INTEGER_LENGTH = 3;

/**
 * The reference encoding, through the DerNode tree of der.ts. encodeDg13 writes the same bytes
 * directly into one buffer (the tests compare the two): the tree's 35 nodes cost about 4 µs per
 * card, a fifth of an ECDSA signature (docs/chip-data.md, "Performance").
 */
export function encodeDg13Tree(fields: Dg13Fields): Buffer {
  const elements = DG13_LAYOUT.map((field, i) => der(0x30, FIELD_NUMBERS[i]!, ...field.keys.map((k) => utf8String(fields[k]))));
  return derBytes(der(DG13.tag, der(0x30, HEADER, der(0x31, ...elements))));
}

const valueLengths = new Int32Array(KEYS.length);
const elementLengths = new Int32Array(DG13_LAYOUT.length);

export function encodeDg13(fields: Dg13Fields): Buffer {
  for (let i = 0; i < KEYS.length; i++) valueLengths[i] = Buffer.byteLength(fields[KEYS[i]!], 'utf8');
  // Lengths, inside out.
  let setLength = 0;
  let v = 0;
  for (let i = 0; i < DG13_LAYOUT.length; i++) {
    const field = DG13_LAYOUT[i]!;
    let content = SMALL_INTEGER_LENGTH;
    for (let k = 0; k < field.keys.length; k++, v++) content += headerLength(0x0c, valueLengths[v]!) + valueLengths[v]!;
    elementLengths[i] = content;
    setLength += headerLength(0x30, content) + content;
  }
  const bodyLength = HEADER.length + headerLength(0x31, setLength) + setLength;
  const outerLength = headerLength(0x30, bodyLength) + bodyLength;
  const out = Buffer.allocUnsafe(headerLength(DG13.tag, outerLength) + outerLength);
  let at = writeHeader(out, 0, DG13.tag, outerLength);
  at = writeHeader(out, at, 0x30, bodyLength);
  at += HEADER.copy(out, at);
  at = writeHeader(out, at, 0x31, setLength);
  v = 0;
  for (let i = 0; i < DG13_LAYOUT.length; i++) {
    const field = DG13_LAYOUT[i]!;
    at = writeHeader(out, at, 0x30, elementLengths[i]!);
    // INTEGER field number (02 01 n), written in place: a Buffer copy per field costs more.
    out[at++] = 0x02;
    out[at++] = 0x01;
    out[at++] = field.number;
    for (let k = 0; k < field.keys.length; k++, v++) {
      at = writeHeader(out, at, 0x0c, valueLengths[v]!);
      at += out.write(fields[KEYS[v]!], at, 'utf8');
    }
  }
  if (at !== out.length) throw new Error(`DG13 writer wrote ${at} bytes of ${out.length}`);
  return out;
}

export interface DecodedDg13 {
  readonly version: number;
  readonly oid: string;
  /** The fields of DG13_LAYOUT ('' for a field that is absent or empty). */
  readonly fields: Dg13Fields;
  /** Every field as found, by number, including numbers outside DG13_LAYOUT. */
  readonly byNumber: ReadonlyMap<number, readonly string[]>;
}

export function decodeDg13(data: Uint8Array): Parsed<DecodedDg13> {
  const parsed = parseDer(data, 'DG13');
  if (!parsed.ok) return parsed;
  const top = expectConstructed(parsed.value, DG13.tag, 'DG13');
  if (!top.ok) return top;
  if (top.value.length !== 1) return fail(`DG13 holds ${top.value.length} elements, expected one SEQUENCE`);
  const body = expectConstructed(top.value[0], 0x30, 'DG13 body');
  if (!body.ok) return body;
  const [versionNode, oidNode, setNode, ...extra] = body.value;
  if (extra.length > 0) return fail(`DG13 body has ${extra.length} unexpected element(s) after the field set`);
  const version = expectSmallInteger(versionNode, 'DG13 version');
  if (!version.ok) return version;
  const oid = expectOid(oidNode, 'DG13 OID');
  if (!oid.ok) return oid;
  const set = expectConstructed(setNode, 0x31, 'DG13 field set');
  if (!set.ok) return set;
  const byNumber = new Map<number, string[]>();
  for (const [i, element] of set.value.entries()) {
    const field = expectConstructed(element, 0x30, `DG13 field ${i + 1}`);
    if (!field.ok) return field;
    const [numberNode, ...valueNodes] = field.value;
    const number = expectSmallInteger(numberNode, `DG13 field ${i + 1} number`);
    if (!number.ok) return number;
    if (byNumber.has(number.value)) return fail(`DG13 holds field ${number.value} twice`);
    const values: string[] = [];
    for (const node of valueNodes) {
      const value = expectUtf8(node, `DG13 field ${number.value} value`);
      if (!value.ok) return value;
      values.push(value.value);
    }
    byNumber.set(number.value, values);
  }
  const fields: Record<string, string> = { ...EMPTY_FIELDS };
  for (const field of DG13_LAYOUT) {
    const values = byNumber.get(field.number) ?? [];
    field.keys.forEach((key, i) => {
      fields[key] = values[i] ?? '';
    });
  }
  return { ok: true, value: { version: version.value, oid: oid.value, fields: fields as unknown as Dg13Fields, byNumber } };
}
