/**
 * Chip data preparation (ICAO 9303 LDS 1.7 and the Document Security Object) and passive
 * authentication of a chip read back. Pure: no file I/O; signing goes through the Signer port.
 * docs/chip-data.md describes the files, the DG13 layout and the PKI around it.
 */
export { LdsBuilder, type LdsImage } from './build.ts';
export { cardChipData, cardDate, cardPartialDate, NO_EXPIRY_TEXT, type CardChipData, type LdsInput } from './card-data.ts';
export { decodeDg1, encodeDg1 } from './dg1.ts';
export { decodeDg13, DG13_LAYOUT, DG13_OID, encodeDg13, type DecodedDg13, type Dg13Field, type Dg13Fields } from './dg13.ts';
export { decodeDg2, encodeDg2, type DecodedFace, type FaceImage } from './dg2.ts';
export { decodeEfCom, encodeEfCom, type EfCom } from './ef-com.ts';
export { DATA_GROUPS, DG1, DG13, DG2, EF_COM, EF_SOD, fileByFid, fileByFileName, LDS_FILES, type LdsFile, type LdsFileInfo } from './files.ts';
export { SIGNATURE_ALGORITHMS, type SignatureAlgorithm, type Signer } from './signer.ts';
export { decodeSod, OID, type DecodedSod, type LdsSecurityObject } from './sod.ts';
export { INTERNAL_ERROR, trustAnchors, verifyLds, type FileVerdict, type LdsFiles, type LdsVerdict, type SodVerdict, type TrustAnchors, type VerifyLdsOptions } from './verify.ts';
