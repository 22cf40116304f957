/**
 * EF.SOD, the Document Security Object (ICAO 9303-10 4.6.2, 9303-12 4.4): a CMS SignedData
 * (RFC 5652) in a 77 wrapper whose content is the LDSSecurityObject — the SHA-256 of every data
 * group — signed by the Document Signer.
 *
 *   77 { ContentInfo { id-signedData, [0] SignedData {
 *          version 3, digestAlgorithms { sha-256 },
 *          encapContentInfo { id-icao-mrtd-security-ldsSecurityObject, [0] OCTET STRING {
 *            LDSSecurityObject { version 0, sha-256, { { dataGroupNumber, hash } … } } } },
 *          certificates [0] { DS certificate },
 *          signerInfos { SignerInfo { version 1, issuerAndSerialNumber, sha-256,
 *            signedAttrs [0] { contentType, messageDigest }, signatureAlgorithm, signature } } } } }
 *
 * SodTemplate encodes the parts that are the same on every card once, with pkijs/asn1js (the
 * certificate, issuerAndSerialNumber, algorithm identifiers, OIDs); per card only the hashes,
 * the LDSSecurityObject, the message digest and the signature are new, assembled with der.ts.
 * decodeSod reads an EF.SOD with pkijs.
 */
import { hash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { childrenOf, contentOf, expectConstructed, expectOid, expectPrimitive, expectSmallInteger, fail, parseDer, type Parsed } from './asn1.ts';
import { der, derBytes, smallInteger, tlv, type DerPart } from './der.ts';
import { EF_SOD } from './files.ts';
import { SIGNATURE_ALGORITHMS, type Signer } from './signer.ts';

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  /** id-icao-mrtd-security-ldsSecurityObject (ICAO 9303-10). */
  ldsSecurityObject: '2.23.136.1.1.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** Hash algorithms an LDSSecurityObject may name, by OID (node:crypto names). */
export const HASH_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['1.3.14.3.2.26', 'sha1'],
  ['2.16.840.1.101.3.4.2.4', 'sha224'],
  [OID.sha256, 'sha256'],
  ['2.16.840.1.101.3.4.2.2', 'sha384'],
  ['2.16.840.1.101.3.4.2.3', 'sha512'],
]);

const encoded = (schema: { toBER(sizeOnly?: boolean): ArrayBuffer }): Buffer => Buffer.from(schema.toBER(false));
const oid = (value: string): Buffer => encoded(new asn1js.ObjectIdentifier({ value }));
/** AlgorithmIdentifier with absent parameters (RFC 5754 for SHA-2, RFC 5758 for ECDSA). */
const algorithm = (algorithmId: string): Buffer => encoded(new pkijs.AlgorithmIdentifier({ algorithmId }).toSchema());

const SHA256_ALGORITHM = algorithm(OID.sha256);
const LDS_OID = oid(OID.ldsSecurityObject);
const SIGNED_DATA_OID = oid(OID.signedData);
const MESSAGE_DIGEST_OID = oid(OID.messageDigest);
const CONTENT_TYPE_ATTRIBUTE = encoded(new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.ldsSecurityObject })] }).toSchema());
const VERSION_0 = smallInteger(0);
const VERSION_1 = smallInteger(1);
const VERSION_3 = smallInteger(3);
const DIGEST_ALGORITHMS = tlv(0x31, SHA256_ALGORITHM);

export interface DataGroupHash {
  readonly dataGroup: number;
  readonly hash: Buffer;
}

/** LDSSecurityObject version 0 (LDS 1.7) with SHA-256, hashes in data group order. */
export function encodeLdsSecurityObject(hashes: readonly DataGroupHash[]): Buffer {
  const sorted = [...hashes].sort((a, b) => a.dataGroup - b.dataGroup);
  return derBytes(der(0x30, VERSION_0, SHA256_ALGORITHM, der(0x30, ...sorted.map((h) => der(0x30, smallInteger(h.dataGroup), der(0x04, h.hash))))));
}

/** The SignedAttributes content: contentType, then messageDigest (DER set order: shorter encoding first). */
function signedAttributes(messageDigest: Buffer): DerPart[] {
  return [CONTENT_TYPE_ATTRIBUTE, der(0x30, MESSAGE_DIGEST_OID, der(0x31, der(0x04, messageDigest)))];
}

/** The EF.SOD parts one Document Signer certificate fixes, encoded once. */
export class SodTemplate {
  private constructor(
    private readonly signer: Signer,
    private readonly signerIdentifier: Buffer,
    private readonly signatureAlgorithm: Buffer,
    private readonly certificates: Buffer,
  ) {}

  /** Throws when the certificate cannot be read or does not hold a key for the signer's algorithm. */
  static forSigner(signer: Signer): SodTemplate {
    const info = SIGNATURE_ALGORITHMS[signer.algorithm];
    if (info === undefined) throw new RangeError(`unsupported signature algorithm ${String(signer.algorithm)}`);
    let certificate: pkijs.Certificate;
    try {
      certificate = pkijs.Certificate.fromBER(signer.certificate);
    } catch (error) {
      throw new RangeError(`the Document Signer certificate is not a DER X.509 certificate: ${(error as Error).message}`, { cause: error });
    }
    const sid = encoded(new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }).toSchema());
    return new SodTemplate(signer, sid, algorithm(info.oid), tlv(0xa0, signer.certificate));
  }

  /** EF.SOD over these data group hashes. */
  async sign(hashes: readonly DataGroupHash[]): Promise<Buffer> {
    const ldsSecurityObject = encodeLdsSecurityObject(hashes);
    const attributes = signedAttributes(hash('sha256', ldsSecurityObject, 'buffer'));
    // The signature covers the attributes as a SET (tag 31), though SignerInfo carries them as [0].
    const signature = await this.signer.sign(derBytes(der(0x31, ...attributes)));
    const signerInfo = der(0x30, VERSION_1, this.signerIdentifier, SHA256_ALGORITHM, der(0xa0, ...attributes), this.signatureAlgorithm, der(0x04, signature));
    const signedData = der(
      0x30,
      VERSION_3,
      DIGEST_ALGORITHMS,
      der(0x30, LDS_OID, der(0xa0, der(0x04, ldsSecurityObject))),
      this.certificates,
      der(0x31, signerInfo),
    );
    return derBytes(der(EF_SOD.tag, der(0x30, SIGNED_DATA_OID, der(0xa0, signedData))));
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface LdsSecurityObject {
  readonly version: number;
  readonly hashAlgorithm: string;
  /** node:crypto name of hashAlgorithm, when it is one ICAO allows. */
  readonly hashName: string | undefined;
  readonly hashes: ReadonlyMap<number, Buffer>;
}

export interface DecodedSod {
  readonly signedData: pkijs.SignedData;
  /** The DER SignedData alone (what `openssl cms -verify -inform DER` takes). */
  readonly signedDataDer: Buffer;
  readonly eContent: Buffer;
  readonly ldsSecurityObject: LdsSecurityObject;
}

export function decodeLdsSecurityObject(data: Uint8Array): Parsed<LdsSecurityObject> {
  const parsed = parseDer(data, 'LDSSecurityObject');
  if (!parsed.ok) return parsed;
  const top = expectConstructed(parsed.value, 0x30, 'LDSSecurityObject');
  if (!top.ok) return top;
  const [versionNode, algorithmNode, hashesNode, ...rest] = top.value;
  const version = expectSmallInteger(versionNode, 'LDSSecurityObject version');
  if (!version.ok) return version;
  if (version.value > 1) return fail(`LDSSecurityObject version ${version.value} is unknown (0 or 1)`);
  if (rest.length > (version.value === 1 ? 1 : 0)) return fail('LDSSecurityObject has unexpected elements after the hash list');
  const algorithmParts = expectConstructed(algorithmNode, 0x30, 'LDSSecurityObject hashAlgorithm');
  if (!algorithmParts.ok) return algorithmParts;
  const algorithmOid = expectOid(algorithmParts.value[0], 'LDSSecurityObject hashAlgorithm OID');
  if (!algorithmOid.ok) return algorithmOid;
  const list = expectConstructed(hashesNode, 0x30, 'LDSSecurityObject dataGroupHashValues');
  if (!list.ok) return list;
  if (list.value.length === 0) return fail('LDSSecurityObject hashes no data group');
  const hashes = new Map<number, Buffer>();
  for (const [i, node] of list.value.entries()) {
    const pair = expectConstructed(node, 0x30, `LDSSecurityObject hash ${i + 1}`);
    if (!pair.ok) return pair;
    if (pair.value.length !== 2) return fail(`LDSSecurityObject hash ${i + 1} holds ${pair.value.length} elements, expected 2`);
    const number = expectSmallInteger(pair.value[0], `LDSSecurityObject hash ${i + 1} dataGroupNumber`);
    if (!number.ok) return number;
    if (number.value < 1 || number.value > 16) return fail(`LDSSecurityObject names data group ${number.value} (1–16)`);
    if (hashes.has(number.value)) return fail(`LDSSecurityObject hashes DG${number.value} twice`);
    const hash = expectPrimitive(pair.value[1], 0x04, `LDSSecurityObject DG${number.value} hash`);
    if (!hash.ok) return hash;
    hashes.set(number.value, hash.value);
  }
  return { ok: true, value: { version: version.value, hashAlgorithm: algorithmOid.value, hashName: HASH_ALGORITHMS.get(algorithmOid.value), hashes } };
}

/** The SignedData inside EF.SOD and its LDSSecurityObject; every structural problem is named. */
export function decodeSod(data: Uint8Array): Parsed<DecodedSod> {
  const parsed = parseDer(data, 'EF.SOD');
  if (!parsed.ok) return parsed;
  const wrapper = expectConstructed(parsed.value, EF_SOD.tag, 'EF.SOD');
  if (!wrapper.ok) return wrapper;
  if (wrapper.value.length !== 1) return fail(`EF.SOD holds ${wrapper.value.length} elements inside its 77 wrapper, expected one ContentInfo`);
  const contentInfoNode = wrapper.value[0]!;
  const contentInfoParts = expectConstructed(contentInfoNode, 0x30, 'EF.SOD ContentInfo');
  if (!contentInfoParts.ok) return contentInfoParts;
  const contentType = expectOid(contentInfoParts.value[0], 'EF.SOD ContentInfo contentType');
  if (!contentType.ok) return contentType;
  if (contentType.value !== OID.signedData) return fail(`EF.SOD ContentInfo has content type ${contentType.value}, expected signedData (${OID.signedData})`);
  const explicit = contentInfoParts.value[1];
  const signedDataNode = explicit === undefined ? undefined : childrenOf(explicit)?.[0];
  if (contentInfoParts.value.length !== 2 || signedDataNode === undefined || explicit?.idBlock.tagClass !== 3 || explicit.idBlock.tagNumber !== 0) {
    return fail('EF.SOD ContentInfo does not hold its content in [0]');
  }
  let signedData: pkijs.SignedData;
  try {
    signedData = new pkijs.SignedData({ schema: signedDataNode });
  } catch (error) {
    return fail(`EF.SOD SignedData does not match the CMS schema: ${(error as Error).message}`);
  }
  if (signedData.version !== 3) return fail(`EF.SOD SignedData version is ${signedData.version}, expected 3`);
  const eci = signedData.encapContentInfo;
  if (eci.eContentType !== OID.ldsSecurityObject) {
    return fail(`EF.SOD eContentType is ${eci.eContentType}, expected the LDSSecurityObject (${OID.ldsSecurityObject})`);
  }
  const eContentNode = eci.eContent;
  const eContent = eContentNode === undefined ? undefined : contentOf(eContentNode);
  if (eContent === undefined) return fail('EF.SOD has no encapsulated LDSSecurityObject (eContent)');
  if (signedData.signerInfos.length !== 1) return fail(`EF.SOD has ${signedData.signerInfos.length} SignerInfos, expected 1`);
  const signerInfo = signedData.signerInfos[0]!;
  const sidKind = signerInfo.sid instanceof pkijs.IssuerAndSerialNumber ? 1 : 3;
  if (signerInfo.version !== sidKind) return fail(`EF.SOD SignerInfo version ${signerInfo.version} does not match its signer identifier (expected ${sidKind})`);
  const digestIds = signedData.digestAlgorithms.map((a) => a.algorithmId);
  if (!digestIds.includes(signerInfo.digestAlgorithm.algorithmId)) {
    return fail(`EF.SOD digestAlgorithms (${digestIds.join(', ') || 'none'}) do not list the SignerInfo's ${signerInfo.digestAlgorithm.algorithmId}`);
  }
  if (signerInfo.signedAttrs === undefined) return fail('EF.SOD SignerInfo has no signed attributes (content type and message digest are required)');
  const lds = decodeLdsSecurityObject(eContent);
  if (!lds.ok) return lds;
  return { ok: true, value: { signedData, signedDataDer: Buffer.from(signedDataNode.valueBeforeDecodeView), eContent, ldsSecurityObject: lds.value } };
}
