/**
 * The TEST PKI (Country Signing CA and Document Signer, ICAO 9303-12 profiles), its folder of
 * certificates and encrypted keys, and the file-backed Signer. docs/chip-data.md ("PKI").
 */
export { createTestPki, type CreateTestPkiOptions, type IssuedKey, type TestPki } from './create.ts';
export { FileSigner } from './file-signer.ts';
export { encryptPrivateKey, KEY_FILE_ITERATIONS } from './key-file.ts';
export {
  certificatePem,
  CSCA_KEY_FILE,
  CSCA_PASSPHRASE_ENV,
  defaultCscaKeyDir,
  defaultPkiDir,
  DEMO_CSCA_PASSPHRASE_FILE,
  DEMO_PASSPHRASE_FILE,
  DEMO_WARNING,
  ensureDemoPki,
  initPki,
  MIN_PASSPHRASE_LENGTH,
  openFileSigner,
  parseCertificates,
  PASSPHRASE_ENV,
  PKI_FILES,
  PkiError,
  readCertificates,
  resolvePassphrase,
  type DemoPki,
  type EnsureDemoPkiOptions,
  type InitPkiOptions,
  type PkiSummary,
} from './pki-dir.ts';
