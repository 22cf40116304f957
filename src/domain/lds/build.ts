/**
 * The LDS image of one card: EF.COM, DG1, DG2 (from age 6), DG13 and EF.SOD, in the order and
 * shape of the encoder job's `files` (src/plc/job-data.ts). One LdsBuilder per Document Signer:
 * it encodes the signer's constant EF.SOD parts once and then builds card after card.
 */
import { hash, verify as verifySignature, X509Certificate } from 'node:crypto';
import type { LdsInput } from './card-data.ts';
import { encodeDg1 } from './dg1.ts';
import { encodeDg13 } from './dg13.ts';
import { encodeDg2 } from './dg2.ts';
import { encodeEfCom } from './ef-com.ts';
import { DG1, DG13, DG2, EF_COM, EF_SOD, type LdsFile } from './files.ts';
import { SIGNATURE_ALGORITHMS, type Signer } from './signer.ts';
import { SodTemplate, type DataGroupHash } from './sod.ts';

export interface LdsImage {
  /** EF.COM 011E, DG1 0101, DG2 0102 (when present), DG13 010D, EF.SOD 011D. */
  readonly files: readonly LdsFile[];
}

/** One-shot hashing: for small inputs much cheaper than a Hash object. */
const sha256 = (data: Buffer): Buffer => hash('sha256', data, 'buffer');

export class LdsBuilder {
  private constructor(private readonly sod: SodTemplate) {}

  /**
   * A builder for this signer. Signs a probe and checks it against the certificate's public key, so
   * a key that does not belong to the certificate fails here, not on the QA station.
   */
  static async create(signer: Signer): Promise<LdsBuilder> {
    const sod = SodTemplate.forSigner(signer);
    const info = SIGNATURE_ALGORITHMS[signer.algorithm];
    const publicKey = new X509Certificate(signer.certificate).publicKey;
    const details = publicKey.asymmetricKeyDetails;
    if (publicKey.asymmetricKeyType !== info.keyType || details?.namedCurve !== info.namedCurve) {
      throw new RangeError(
        `the Document Signer certificate holds a ${publicKey.asymmetricKeyType ?? '?'} key${details?.namedCurve ? ` on ${details.namedCurve}` : ''}, ` +
          `not the ${info.keyType} ${info.namedCurve} key ${signer.algorithm} needs`,
      );
    }
    const probe = Buffer.from('cardline signer probe');
    const signature = await signer.sign(probe);
    if (!verifySignature(info.hash, probe, publicKey, signature)) {
      throw new RangeError('the signing key does not match the Document Signer certificate (a probe signature does not verify)');
    }
    return new LdsBuilder(sod);
  }

  async build(input: LdsInput): Promise<LdsImage> {
    const dg1 = encodeDg1(input.mrz);
    const dg2 = input.face === undefined ? undefined : encodeDg2(input.face);
    const dg13 = input.nationalData === undefined ? undefined : encodeDg13(input.nationalData);
    const hashes: DataGroupHash[] = [{ dataGroup: 1, hash: sha256(dg1) }];
    if (dg2 !== undefined) hashes.push({ dataGroup: 2, hash: sha256(dg2) });
    if (dg13 !== undefined) hashes.push({ dataGroup: 13, hash: sha256(dg13) });
    const sod = await this.sod.sign(hashes);
    const files: LdsFile[] = [{ fid: EF_COM.fid, data: encodeEfCom(hashes.map((h) => h.dataGroup)) }, { fid: DG1.fid, data: dg1 }];
    if (dg2 !== undefined) files.push({ fid: DG2.fid, data: dg2 });
    if (dg13 !== undefined) files.push({ fid: DG13.fid, data: dg13 });
    files.push({ fid: EF_SOD.fid, data: sod });
    return { files };
  }
}
