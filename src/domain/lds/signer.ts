/**
 * The Signer port: whatever holds the Document Signer key. cardline's file-backed signer
 * (src/pki/file-signer.ts) keeps an encrypted key file; an HSM signer (PKCS#11) keeps a key
 * handle and calls C_Sign — docs/chip-data.md ("The Signer port") says how to write one.
 */

/** Signature algorithms the LDS builder can name in EF.SOD (ICAO 9303-12, 4.4.2). */
export type SignatureAlgorithm = 'ecdsa-with-SHA256';

export interface Signer {
  /** The Document Signer certificate (DER); EF.SOD carries it and names it as the signer. */
  readonly certificate: Buffer;
  readonly algorithm: SignatureAlgorithm;
  /**
   * Signs `data` — the DER of the SignedAttributes SET — with the DS private key: SHA-256 over
   * `data`, then the signature in the form CMS carries it (for ECDSA the DER Ecdsa-Sig-Value
   * SEQUENCE { r, s }, not the raw r ‖ s of PKCS#11 and WebCrypto).
   */
  sign(data: Buffer): Promise<Buffer>;
}

export interface AlgorithmInfo {
  /** signatureAlgorithm OID in SignerInfo. */
  readonly oid: string;
  /** The hash the signature is computed over (node:crypto name). */
  readonly hash: 'sha256';
  /** The DS certificate's key must be of this type (node:crypto asymmetricKeyType) … */
  readonly keyType: 'ec';
  /** … on this curve. */
  readonly namedCurve: 'prime256v1';
}

export const SIGNATURE_ALGORITHMS: Readonly<Record<SignatureAlgorithm, AlgorithmInfo>> = {
  'ecdsa-with-SHA256': { oid: '1.2.840.10045.4.3.2', hash: 'sha256', keyType: 'ec', namedCurve: 'prime256v1' },
};
