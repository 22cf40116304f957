/**
 * Certificate profiles of the TEST PKI, after ICAO 9303-12 (8th edition, section 7.1, the CSCA and
 * Document Signer certificate profiles). docs/chip-data.md ("Certificate profiles") has the table
 * and the reasons for the validity periods; what this file cannot follow for a test PKI (real
 * CRL distribution points, contact addresses) uses RFC 2606 `.invalid` placeholders.
 */
import * as asn1js from 'asn1js';

/** ISO 3166-1 alpha-2 of the issuing state; ICAO requires countryName in both certificates. */
export const COUNTRY = 'VN';
export const ORGANIZATION = 'cardline TEST PKI - not for production';
export const CSCA_COMMON_NAME = 'TEST CSCA Viet Nam (cardline)';
export const DS_COMMON_NAME = 'TEST Document Signer Viet Nam (cardline)';

/** ICAO 9303-12 recommends a CSCA private key usage period of 3 to 5 years. */
export const CSCA_KEY_USAGE_YEARS = 5;
/** ICAO 9303-12 recommends that a DS key signs documents for at most 3 months. */
export const DS_KEY_USAGE_MONTHS = 3;
/**
 * notAfter of both certificates: 9999-12-31T23:59:59Z, the RFC 5280 (4.1.2.5) value for "no
 * well-defined expiration date". One DS signs cards that expire (at most about 22 years after
 * issue: a card issued just after the 38th birthday runs to the 60th) and cards issued from age 58
 * that never expire, whose chips must stay verifiable for the holder's lifetime; the CSCA must
 * outlive its DS certificates. See docs/chip-data.md ("Validity").
 */
export const NO_WELL_DEFINED_EXPIRY = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

export const OID = {
  privateKeyUsagePeriod: '2.5.29.16',
  /** ICAO 9303-12 DocumentTypeList extension (id-icao-mrtd-security-extensions-documentTypeList). */
  documentTypeList: '2.23.136.1.1.6.2',
} as const;

/** The document codes the DS may sign (MRZ positions 1–2): the căn cước is "ID". */
export const DOCUMENT_TYPES: readonly string[] = ['ID'];

export const CRL_URL = { csca: 'http://pki.cardline.invalid/test/csca-vn.crl' } as const;
/** Contact for the TEST PKI, used in subjectAltName/issuerAltName (ICAO asks for one). */
export const CONTACT_URL = 'http://pki.cardline.invalid/test';

/** GeneralizedTime text in DER form: YYYYMMDDHHMMSSZ, no fraction. */
export function generalizedTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:T]/g, '');
}

/**
 * PrivateKeyUsagePeriod ::= SEQUENCE { notBefore [0] IMPLICIT GeneralizedTime, notAfter [1]
 * IMPLICIT GeneralizedTime } (RFC 3280 4.2.1.4; ICAO 9303-12 keeps it).
 */
export function privateKeyUsagePeriod(notBefore: Date, notAfter: Date): ArrayBuffer {
  const time = (date: Date, tagNumber: number) =>
    new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber }, valueHex: new Uint8Array(Buffer.from(generalizedTime(date), 'latin1')).buffer });
  return new asn1js.Sequence({ value: [time(notBefore, 0), time(notAfter, 1)] }).toBER(false);
}

/** DocumentTypeListSyntax ::= SEQUENCE { version INTEGER (v0), docTypeList SET OF PrintableString }. */
export function documentTypeList(types: readonly string[]): ArrayBuffer {
  return new asn1js.Sequence({
    value: [new asn1js.Integer({ value: 0 }), new asn1js.Set({ value: types.map((value) => new asn1js.PrintableString({ value })) })],
  }).toBER(false);
}

/** Adds calendar months in UTC (day clamped to the month's end). */
export function addMonths(date: Date, months: number): Date {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()));
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(date.getUTCDate(), last));
  return d;
}
