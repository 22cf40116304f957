/**
 * The file-backed Signer: the Document Signer's private key decrypted into memory from its
 * passphrase-protected PKCS#8 file. An HSM signer implements the same port (docs/chip-data.md).
 */
import { sign, X509Certificate, type KeyObject } from 'node:crypto';
import type { SignatureAlgorithm, Signer } from '../domain/lds/signer.ts';

export class FileSigner implements Signer {
  readonly algorithm: SignatureAlgorithm = 'ecdsa-with-SHA256';

  constructor(
    readonly certificate: Buffer,
    private readonly key: KeyObject,
  ) {
    if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new RangeError('the Document Signer key must be an ECDSA P-256 private key');
    }
    if (!new X509Certificate(certificate).checkPrivateKey(key)) {
      throw new RangeError('the Document Signer key does not belong to the Document Signer certificate');
    }
  }

  /**
   * node:crypto's one-shot sign with a KeyObject: synchronous, about 50 µs, several times faster
   * than WebCrypto's. It blocks the event loop for that long, which a line controller can afford.
   */
  sign(data: Buffer): Promise<Buffer> {
    return Promise.resolve(sign('sha256', data, this.key));
  }
}
