/**
 * DG2 (ICAO 9303-10, 4.7.2): the portrait as an ISO/IEC 19794-5:2005 face image record inside
 * the biometric information template of ISO/IEC 7816-11:
 *
 *   75 { 7F61 { 02 01 01,                          -- one biometric information template
 *               7F60 { A1 { 80 0101, 81 02, 82 00,  -- ICAO header version, type "facial
 *                           87 0101, 88 0008 },     --   features", subtype none, format owner
 *                                                  --   ISO/IEC JTC 1/SC 37, format type face
 *                      5F2E <face record> } } }
 *
 * The face record: general header ("FAC\0", "010\0", record length, number of images), facial
 * information (20 bytes, no feature points), image information (12 bytes, JPEG) and the JPEG.
 * Only what cardline knows is filled in; the rest is "unspecified" (0), as 19794-5 allows.
 * Holders under 6 have no portrait and their chip has no DG2 (Law on Identification 2023).
 */
import { expectConstructed, expectPrimitive, expectSmallInteger, fail, parseDer, type Parsed } from './asn1.ts';
import { der, derBytes, tlv } from './der.ts';
import { DG2 } from './files.ts';

export type FaceGender = 'unspecified' | 'male' | 'female' | 'unknown';
const GENDER_CODES: Readonly<Record<FaceGender, number>> = { unspecified: 0x00, male: 0x01, female: 0x02, unknown: 0xff };

export interface FaceImage {
  readonly jpeg: Buffer;
  readonly width: number;
  readonly height: number;
  readonly gender?: FaceGender;
}

const FORMAT_ID = Buffer.from('FAC\0', 'latin1');
const VERSION = Buffer.from('010\0', 'latin1');
const GENERAL_HEADER = 14;
const FACIAL_INFORMATION = 20;
const IMAGE_INFORMATION = 12;
/** Face image type full frontal (19794-5, 5.7.1): an ICAO portrait meets its requirements. */
const FULL_FRONTAL = 0x01;
const IMAGE_DATA_JPEG = 0x00;
const IMAGE_DATA_JPEG2000 = 0x01;

const ONE_INSTANCE = Buffer.from([0x02, 0x01, 0x01]);
/** The biometric header template: the same bytes on every card. */
const BIOMETRIC_HEADER = tlv(
  0xa1,
  tlv(0x80, Buffer.from([0x01, 0x01])),
  tlv(0x81, Buffer.from([0x02])),
  tlv(0x82, Buffer.from([0x00])),
  tlv(0x87, Buffer.from([0x01, 0x01])),
  tlv(0x88, Buffer.from([0x00, 0x08])),
);

function faceRecordHeader(face: FaceImage): Buffer {
  const header = Buffer.alloc(GENERAL_HEADER + FACIAL_INFORMATION + IMAGE_INFORMATION);
  const recordLength = header.length + face.jpeg.length;
  FORMAT_ID.copy(header, 0);
  VERSION.copy(header, 4);
  header.writeUInt32BE(recordLength, 8);
  header.writeUInt16BE(1, 12); // one facial image
  let at = GENERAL_HEADER;
  header.writeUInt32BE(recordLength - GENERAL_HEADER, at); // facial record data length
  header.writeUInt16BE(0, at + 4); // no feature points
  header.writeUInt8(GENDER_CODES[face.gender ?? 'unspecified'], at + 6);
  // eye colour, hair colour, feature mask, expression, pose angles and their uncertainty: unspecified (0)
  at += FACIAL_INFORMATION;
  header.writeUInt8(FULL_FRONTAL, at);
  header.writeUInt8(IMAGE_DATA_JPEG, at + 1);
  header.writeUInt16BE(face.width, at + 2);
  header.writeUInt16BE(face.height, at + 4);
  // colour space, source type, device type, quality: unspecified (0)
  return header;
}

export function encodeDg2(face: FaceImage): Buffer {
  const { width, height, jpeg } = face;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0xffff || height > 0xffff) {
    throw new RangeError(`DG2: image size must be 1–65535 pixels each way, got ${width} × ${height}`);
  }
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new RangeError('DG2: the portrait is not a JPEG (no SOI marker)');
  const faceRecord = faceRecordHeader(face);
  return derBytes(der(DG2.tag, der(0x7f61, ONE_INSTANCE, der(0x7f60, BIOMETRIC_HEADER, der(0x5f2e, faceRecord, jpeg)))));
}

export interface DecodedFace {
  readonly width: number;
  readonly height: number;
  readonly imageType: 'jpeg' | 'jpeg2000';
  readonly gender: FaceGender;
  readonly image: Buffer;
}

function decodeFaceRecord(record: Buffer, what: string): Parsed<DecodedFace[]> {
  if (record.length < GENERAL_HEADER) return fail(`${what} is shorter than the ISO/IEC 19794-5 general header`);
  if (!record.subarray(0, 4).equals(FORMAT_ID)) return fail(`${what} does not start with "FAC\\0" (ISO/IEC 19794-5 format identifier)`);
  if (!record.subarray(4, 8).equals(VERSION)) return fail(`${what} is not version "010" of ISO/IEC 19794-5`);
  const recordLength = record.readUInt32BE(8);
  if (recordLength !== record.length) return fail(`${what} declares ${recordLength} bytes but holds ${record.length}`);
  const count = record.readUInt16BE(12);
  if (count < 1) return fail(`${what} holds no facial image`);
  const faces: DecodedFace[] = [];
  let at = GENERAL_HEADER;
  for (let i = 0; i < count; i++) {
    const where = `${what} image ${i + 1}`;
    if (at + FACIAL_INFORMATION + IMAGE_INFORMATION > record.length) return fail(`${where}: header runs past the end of the record`);
    const blockLength = record.readUInt32BE(at);
    const featurePoints = record.readUInt16BE(at + 4);
    const genderCode = record.readUInt8(at + 6);
    const end = at + blockLength;
    const imageInfo = at + FACIAL_INFORMATION + featurePoints * 8;
    if (end > record.length || imageInfo + IMAGE_INFORMATION > end) return fail(`${where}: declared length ${blockLength} does not fit the record`);
    const dataType = record.readUInt8(imageInfo + 1);
    if (dataType !== IMAGE_DATA_JPEG && dataType !== IMAGE_DATA_JPEG2000) return fail(`${where}: unknown image data type ${dataType}`);
    const image = record.subarray(imageInfo + IMAGE_INFORMATION, end);
    if (image.length === 0) return fail(`${where}: no image data`);
    const gender = (Object.keys(GENDER_CODES) as FaceGender[]).find((g) => GENDER_CODES[g] === genderCode);
    faces.push({
      width: record.readUInt16BE(imageInfo + 2),
      height: record.readUInt16BE(imageInfo + 4),
      imageType: dataType === IMAGE_DATA_JPEG ? 'jpeg' : 'jpeg2000',
      gender: gender ?? 'unspecified',
      image,
    });
    at = end;
  }
  if (at !== record.length) return fail(`${what} has ${record.length - at} byte(s) after its last image`);
  return { ok: true, value: faces };
}

/** The face images DG2 holds, from every biometric information template. */
export function decodeDg2(data: Uint8Array): Parsed<DecodedFace[]> {
  const parsed = parseDer(data, 'DG2');
  if (!parsed.ok) return parsed;
  const top = expectConstructed(parsed.value, DG2.tag, 'DG2');
  if (!top.ok) return top;
  if (top.value.length !== 1) return fail(`DG2 holds ${top.value.length} elements, expected one biometric information group template (7F61)`);
  const group = expectConstructed(top.value[0], 0x7f61, 'DG2 biometric information group template (7F61)');
  if (!group.ok) return group;
  const [countNode, ...templates] = group.value;
  const count = expectSmallInteger(countNode, 'DG2 number of instances (02)');
  if (!count.ok) return count;
  if (count.value !== templates.length || count.value === 0) return fail(`DG2 declares ${count.value} biometric template(s) and holds ${templates.length}`);
  const faces: DecodedFace[] = [];
  for (const [i, node] of templates.entries()) {
    const what = `DG2 template ${i + 1}`;
    const template = expectConstructed(node, 0x7f60, `${what} (7F60)`);
    if (!template.ok) return template;
    if (template.value.length !== 2) return fail(`${what} holds ${template.value.length} elements, expected a header (A1) and a data block (5F2E)`);
    const [headerNode, dataNode] = template.value;
    const header = expectConstructed(headerNode, 0xa1, `${what} biometric header template (A1)`);
    if (!header.ok) return header;
    const owner = expectPrimitive(header.value.find((n) => n.idBlock.tagNumber === 7), 0x87, `${what} format owner (87)`);
    if (!owner.ok) return owner;
    const type = expectPrimitive(header.value.find((n) => n.idBlock.tagNumber === 8), 0x88, `${what} format type (88)`);
    if (!type.ok) return type;
    if (owner.value.toString('hex') !== '0101' || type.value.toString('hex') !== '0008') {
      return fail(`${what} is format ${owner.value.toString('hex')}/${type.value.toString('hex')}, expected ISO/IEC 19794-5 face (0101/0008)`);
    }
    const record = expectPrimitive(dataNode, 0x5f2e, `${what} biometric data block (5F2E)`);
    if (!record.ok) return record;
    const decoded = decodeFaceRecord(record.value, `${what} face record`);
    if (!decoded.ok) return decoded;
    faces.push(...decoded.value);
  }
  return { ok: true, value: faces };
}
