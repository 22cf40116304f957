/**
 * Creates a TEST PKI in memory: a Country Signing CA (self-signed) and a Document Signer
 * certificate it issues, ECDSA P-256 with SHA-256 (ICAO 9303-12 allows it, and its signatures are
 * the cheapest of the allowed ones to make, which matters at 500,000 cards a day). Certificates
 * are built and signed with pkijs over WebCrypto keys (@peculiar/x509 would need a
 * reflect-metadata polyfill that package.json does not declare); keys are handed back as
 * node:crypto KeyObjects.
 */
import { createHash, createPrivateKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  addMonths,
  CONTACT_URL,
  COUNTRY,
  CRL_URL,
  CSCA_COMMON_NAME,
  CSCA_KEY_USAGE_YEARS,
  DOCUMENT_TYPES,
  documentTypeList,
  DS_COMMON_NAME,
  DS_KEY_USAGE_MONTHS,
  NO_WELL_DEFINED_EXPIRY,
  OID,
  ORGANIZATION,
  privateKeyUsagePeriod,
} from './profiles.ts';

export interface IssuedKey {
  /** DER certificate. */
  readonly certificate: Buffer;
  readonly privateKey: KeyObject;
}

export interface TestPki {
  readonly csca: IssuedKey;
  readonly ds: IssuedKey;
}

export interface CreateTestPkiOptions {
  /** Start of validity and key usage; default now (whole seconds). */
  readonly now?: Date;
  /** Override the CSCA subject's common name. */
  readonly cscaCommonName?: string;
  /** Override the DS certificate's notAfter (tests of expired certificates). */
  readonly dsNotAfter?: Date;
}

const ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
type CryptoKey = webcrypto.CryptoKey;

const X500 = { country: '2.5.4.6', organization: '2.5.4.10', commonName: '2.5.4.3' } as const;
const EXTENSION = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  crlDistributionPoints: '2.5.29.31',
  authorityKeyIdentifier: '2.5.29.35',
} as const;

/** KeyUsage bit positions (RFC 5280 4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

function keyUsage(...bits: number[]): asn1js.BitString {
  const byte = bits.reduce((b, bit) => b | (0x80 >> bit), 0);
  const unusedBits = Math.min(7, 7 - Math.max(...bits));
  return new asn1js.BitString({ valueHex: new Uint8Array([byte]).buffer, unusedBits });
}

/** C, O, CN, each in its own RDN (pkijs would put attributes built from scratch into one multi-valued RDN). */
function distinguishedName(commonName: string): pkijs.RelativeDistinguishedNames {
  const rdn = (type: string, value: asn1js.PrintableString | asn1js.Utf8String) => new asn1js.Set({ value: [new pkijs.AttributeTypeAndValue({ type, value }).toSchema()] });
  const name = new asn1js.Sequence({
    value: [
      rdn(X500.country, new asn1js.PrintableString({ value: COUNTRY })),
      rdn(X500.organization, new asn1js.Utf8String({ value: ORGANIZATION })),
      rdn(X500.commonName, new asn1js.Utf8String({ value: commonName })),
    ],
  });
  return new pkijs.RelativeDistinguishedNames({ schema: asn1js.fromBER(name.toBER(false)).result });
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(value: Date): pkijs.Time {
  return new pkijs.Time({ type: value.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime, value });
}

function extension(extnID: string, critical: boolean, value: ArrayBuffer | { toSchema(): { toBER(sizeOnly?: boolean): ArrayBuffer } }): pkijs.Extension {
  const extnValue = value instanceof ArrayBuffer ? value : value.toSchema().toBER(false);
  return new pkijs.Extension({ extnID, critical, extnValue });
}

const asn1Value = (value: { toBER(sizeOnly?: boolean): ArrayBuffer }): ArrayBuffer => value.toBER(false);
const url = (value: string): pkijs.GeneralName => new pkijs.GeneralName({ type: 6, value });
const generalNames = (value: string): pkijs.GeneralNames => new pkijs.GeneralNames({ names: [url(value)] });

/** A positive serial number of 16 random octets (RFC 5280: positive, at most 20 octets). */
function serialNumber(): asn1js.Integer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return new asn1js.Integer({ valueHex: new Uint8Array(bytes).buffer });
}

interface CertificateSpec {
  readonly subject: string;
  readonly issuer: pkijs.RelativeDistinguishedNames;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: CryptoKey;
  readonly signingKey: CryptoKey;
  readonly extensions: (keyId: ArrayBuffer) => pkijs.Extension[];
}

async function issue(spec: CertificateSpec): Promise<pkijs.Certificate> {
  const cert = new pkijs.Certificate();
  cert.version = 2; // v3
  cert.serialNumber = serialNumber();
  cert.subject = distinguishedName(spec.subject);
  cert.issuer = spec.issuer;
  cert.notBefore = time(spec.notBefore);
  cert.notAfter = time(spec.notAfter);
  await cert.subjectPublicKeyInfo.importKey(spec.publicKey);
  // Key identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2, method 1).
  const keyId = createHash('sha1').update(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest();
  cert.extensions = spec.extensions(new Uint8Array(keyId).buffer);
  await cert.sign(spec.signingKey, 'SHA-256');
  return cert;
}

async function keyObject(key: CryptoKey): Promise<KeyObject> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
}

const der = (cert: pkijs.Certificate): Buffer => Buffer.from(cert.toSchema(true).toBER(false));

export async function createTestPki(options: CreateTestPkiOptions = {}): Promise<TestPki> {
  const now = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const cscaKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']));
  const dsKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']));
  const cscaName = distinguishedName(options.cscaCommonName ?? CSCA_COMMON_NAME);
  const authorityKey = (keyId: ArrayBuffer) =>
    extension(EXTENSION.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: keyId }) }));
  const crl = extension(
    EXTENSION.crlDistributionPoints,
    false,
    new pkijs.CRLDistributionPoints({ distributionPoints: [new pkijs.DistributionPoint({ distributionPoint: [url(CRL_URL.csca)] })] }),
  );

  let cscaKeyId = new ArrayBuffer(0);
  const csca = await issue({
    subject: options.cscaCommonName ?? CSCA_COMMON_NAME,
    issuer: cscaName,
    notBefore: now,
    notAfter: NO_WELL_DEFINED_EXPIRY,
    publicKey: cscaKeys.publicKey,
    signingKey: cscaKeys.privateKey,
    extensions: (keyId) => {
      cscaKeyId = keyId;
      return [
        extension(EXTENSION.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 })),
        extension(EXTENSION.keyUsage, true, asn1Value(keyUsage(KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign))),
        extension(EXTENSION.subjectKeyIdentifier, false, asn1Value(new asn1js.OctetString({ valueHex: keyId }))),
        authorityKey(keyId),
        extension(OID.privateKeyUsagePeriod, false, privateKeyUsagePeriod(now, addMonths(now, 12 * CSCA_KEY_USAGE_YEARS))),
        extension(EXTENSION.subjectAltName, false, generalNames(CONTACT_URL)),
        extension(EXTENSION.issuerAltName, false, generalNames(CONTACT_URL)),
        crl,
      ];
    },
  });

  const ds = await issue({
    subject: DS_COMMON_NAME,
    issuer: cscaName,
    notBefore: now,
    notAfter: options.dsNotAfter ?? NO_WELL_DEFINED_EXPIRY,
    publicKey: dsKeys.publicKey,
    signingKey: cscaKeys.privateKey,
    extensions: (keyId) => [
      extension(EXTENSION.keyUsage, true, asn1Value(keyUsage(KEY_USAGE.digitalSignature))),
      authorityKey(cscaKeyId),
      extension(EXTENSION.subjectKeyIdentifier, false, asn1Value(new asn1js.OctetString({ valueHex: keyId }))),
      extension(OID.privateKeyUsagePeriod, false, privateKeyUsagePeriod(now, addMonths(now, DS_KEY_USAGE_MONTHS))),
      extension(EXTENSION.issuerAltName, false, generalNames(CONTACT_URL)),
      crl,
      extension(OID.documentTypeList, false, documentTypeList(DOCUMENT_TYPES)),
    ],
  });

  return {
    csca: { certificate: der(csca), privateKey: await keyObject(cscaKeys.privateKey) },
    ds: { certificate: der(ds), privateKey: await keyObject(dsKeys.privateKey) },
  };
}
