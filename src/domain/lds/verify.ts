/**
 * Passive authentication of an LDS image (ICAO 9303-11 5.1, 9303-12) as QA's chip read-back
 * needs it: every file parsed, every data group hashed and compared with EF.SOD, the EF.SOD
 * signature verified (pkijs), the Document Signer certificate checked against the trusted CSCA
 * certificates, and DG1 compared with the MRZ the card should carry. Every problem is named with
 * the file it concerns; nothing a chip returns makes it throw. Problems never quote personal data
 * (the MRZ, names), because verdicts end up in logs and reports.
 */
import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { TD1_FIELDS } from '../mrz/td1-layout.ts';
import { childrenOf, contentOf, parseDer, tagOf } from './asn1.ts';
import { decodeDg1 } from './dg1.ts';
import { decodeDg13 } from './dg13.ts';
import { decodeDg2 } from './dg2.ts';
import { decodeEfCom } from './ef-com.ts';
import { DATA_GROUPS, EF_COM, EF_SOD, fileByFid } from './files.ts';
import { decodeSod, OID, type DecodedSod } from './sod.ts';

export interface VerifyLdsOptions {
  /** Trusted CSCA certificates (DER), or parsed once by trustAnchors() for many verifications. */
  readonly csca: readonly Uint8Array[] | TrustAnchors;
  /** The MRZ lines DG1 must hold (the record's, as engraved). */
  readonly expectedMrz?: readonly string[];
  /** When given, exactly these data groups must be present (e.g. [1, 2, 13], or [1, 13] under 6). DG1 is always required. */
  readonly expectedDataGroups?: readonly number[];
  /** Time at which certificates must be valid; default now. */
  readonly at?: Date;
}

export interface FileVerdict {
  readonly fid: string;
  readonly name: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** The problems joined by '; ', absent when ok. */
  readonly problem?: string;
  /** A data group's hash checked against EF.SOD: true when they agree (absent when EF.SOD was unreadable or the file is not a data group read). */
  readonly hashMatches?: boolean;
}

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface SodVerdict {
  readonly ok: boolean;
  /** null: not checked, because EF.SOD could not be read. */
  readonly signatureValid: boolean | null;
  readonly chainValid: boolean | null;
  readonly signer?: CertificateSummary;
  /** The subject of the CSCA the chain ends at. */
  readonly csca?: string;
  readonly hashAlgorithm?: string;
  readonly dataGroups: readonly number[];
  readonly problems: readonly string[];
}

export interface LdsVerdict {
  readonly ok: boolean;
  /** EF.COM, the data groups in order, EF.SOD, then any unknown file. */
  readonly files: readonly FileVerdict[];
  readonly sod: SodVerdict;
  /** The MRZ lines DG1 holds, or null when DG1 is missing or unreadable. */
  readonly dg1Mrz: readonly string[] | null;
  /** Every problem, prefixed with its file's name. */
  readonly problems: readonly string[];
}

export type LdsFiles = ReadonlyMap<string, Uint8Array> | readonly { readonly fid: string; readonly data: Uint8Array }[];

// ---------------------------------------------------------------------------------------------

const NAMES: Readonly<Record<string, string>> = { '2.5.4.3': 'CN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU' };

function distinguishedName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => {
      const block = tv.value.valueBlock as unknown as { value?: unknown };
      return `${NAMES[tv.type] ?? tv.type}=${typeof block.value === 'string' ? block.value : '?'}`;
    })
    .join(', ');
}

const hexOf = (data: ArrayBuffer | Uint8Array): string => Buffer.from(data instanceof Uint8Array ? data : new Uint8Array(data)).toString('hex').toUpperCase();

function summary(cert: pkijs.Certificate): CertificateSummary {
  return {
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    serialNumber: hexOf(cert.serialNumber.valueBlock.valueHexView),
    notBefore: cert.notBefore.value.toISOString(),
    notAfter: cert.notAfter.value.toISOString(),
  };
}

/** KeyUsage bits (RFC 5280 4.2.1.3) by name, or undefined when the extension is absent or unreadable. */
function keyUsage(cert: pkijs.Certificate): Set<string> | undefined {
  const ext = cert.extensions?.find((e) => e.extnID === '2.5.29.15');
  const bits = (ext?.parsedValue as { valueBlock?: { valueHexView?: Uint8Array } } | undefined)?.valueBlock?.valueHexView;
  if (bits === undefined) return undefined;
  const names = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];
  return new Set(names.filter((_, i) => ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0));
}

function isCa(cert: pkijs.Certificate): boolean {
  const ext = cert.extensions?.find((e) => e.extnID === '2.5.29.19');
  return ext?.parsedValue instanceof pkijs.BasicConstraints && ext.parsedValue.cA === true;
}

function validityProblem(cert: pkijs.Certificate, what: string, at: Date): string | undefined {
  if (at < cert.notBefore.value) return `${what} is not valid before ${cert.notBefore.value.toISOString()}`;
  if (at > cert.notAfter.value) return `${what} expired on ${cert.notAfter.value.toISOString()}`;
  return undefined;
}

function parseCertificate(der: Uint8Array): pkijs.Certificate | undefined {
  try {
    return pkijs.Certificate.fromBER(der);
  } catch {
    return undefined;
  }
}

/** Trusted CSCA certificates parsed once: a line verifies every card against the same few. */
export interface TrustAnchors {
  readonly certificates: readonly pkijs.Certificate[];
  /** How many of the DER certificates given could not be parsed (each verdict names that). */
  readonly unreadable: number;
}

/**
 * Parses trusted CSCA certificates for verifyLds. Parsing them took about an eighth of a
 * verification's CPU when done for every card (profile of bench/line-cost.bench.ts, 2026-12-08).
 */
export function trustAnchors(csca: readonly Uint8Array[]): TrustAnchors {
  const parsed = csca.map(parseCertificate);
  return { certificates: parsed.filter((a): a is pkijs.Certificate => a !== undefined), unreadable: parsed.filter((a) => a === undefined).length };
}

const isTrustAnchors = (csca: VerifyLdsOptions['csca']): csca is TrustAnchors => !Array.isArray(csca);

async function verifiesWith(cert: pkijs.Certificate, issuer: pkijs.Certificate): Promise<boolean> {
  try {
    return await cert.verify(issuer);
  } catch {
    return false;
  }
}

/**
 * The DS certificate EF.SOD names as its signer. The issuer is matched on its encoding, not on
 * pkijs's value comparison: that one ignores the string type (PrintableString vs NumericString),
 * so a changed tag in the unsigned signer identifier would pass. The encoder copies the
 * certificate's issuer octets into the SignerInfo, so a chip we wrote always matches exactly.
 */
function signerCertificate(sod: DecodedSod): pkijs.Certificate | undefined {
  const sid = sod.signedData.signerInfos[0]?.sid as unknown;
  const certs = (sod.signedData.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return certs.find((c) => c.issuer.isEqual(sid.issuer.valueBeforeDecode) && c.serialNumber.isEqual(sid.serialNumber));
  }
  return undefined;
}

/**
 * A signature BIT STRING must be octet-aligned (RFC 5280 4.1.1.3 with RFC 5480 / RFC 4055: the
 * signature is a whole DER value or octet string). OpenSSL refuses any other count of unused bits
 * too; pkijs ignores the count, so a flipped unused-bits octet would otherwise verify.
 */
function signatureAlignmentProblem(cert: pkijs.Certificate, what: string): string | undefined {
  const unused = cert.signatureValue.valueBlock.unusedBits;
  return unused === 0 ? undefined : `${what}'s signature BIT STRING declares ${unused} unused bit(s); a signature is a whole number of octets`;
}

/** An ECDSA signature as CMS and X.509 carry it: DER SEQUENCE { r INTEGER, s INTEGER }, both positive, minimal. */
export function ecdsaSignatureProblem(signature: Uint8Array): string | undefined {
  const parsed = parseDer(signature, 'the ECDSA signature');
  if (!parsed.ok) return parsed.problem;
  const children = childrenOf(parsed.value);
  if (tagOf(parsed.value) !== 0x30 || children?.length !== 2) return 'the ECDSA signature is not a SEQUENCE of two INTEGERs';
  for (const [i, node] of children.entries()) {
    const content = tagOf(node) === 0x02 ? contentOf(node) : undefined;
    const name = i === 0 ? 'r' : 's';
    if (content === undefined || content.length === 0) return `the ECDSA signature's ${name} is not an INTEGER`;
    if ((content[0]! & 0x80) !== 0) return `the ECDSA signature's ${name} is negative`;
    if (content.length > 1 && content[0] === 0 && (content[1]! & 0x80) === 0) return `the ECDSA signature's ${name} is not in its shortest form`;
  }
  return undefined;
}

const ECDSA_SIGNATURE_ALGORITHMS = new Set(['1.2.840.10045.4.3.2', '1.2.840.10045.4.3.3', '1.2.840.10045.4.3.4']);

interface SodCheck {
  readonly problems: string[];
  signatureValid: boolean | null;
  chainValid: boolean | null;
  signer?: CertificateSummary;
  csca?: string;
}

async function checkSignature(sod: DecodedSod, check: SodCheck): Promise<pkijs.Certificate | undefined> {
  const signerInfo = sod.signedData.signerInfos[0]!;
  const attributes = signerInfo.signedAttrs?.attributes ?? [];
  const contentType = attributes.filter((a) => a.type === OID.contentType);
  const digest = attributes.filter((a) => a.type === OID.messageDigest);
  if (contentType.length !== 1) check.problems.push(`signed attributes hold ${contentType.length} content-type attributes, expected 1`);
  else if ((contentType[0]!.values[0] as { getValue?: () => string } | undefined)?.getValue?.() !== OID.ldsSecurityObject) {
    check.problems.push('the signed content-type attribute does not name the LDSSecurityObject');
  }
  const hashName = signerInfo.digestAlgorithm.algorithmId === OID.sha256 ? 'sha256' : undefined;
  if (digest.length !== 1) check.problems.push(`signed attributes hold ${digest.length} message-digest attributes, expected 1`);
  else if (hashName === undefined) check.problems.push(`SignerInfo digest algorithm ${signerInfo.digestAlgorithm.algorithmId} is not SHA-256`);
  else {
    const value = (digest[0]!.values[0] as { valueBlock?: { valueHexView?: Uint8Array } } | undefined)?.valueBlock?.valueHexView;
    const expected = createHash(hashName).update(sod.eContent).digest();
    if (value === undefined || !expected.equals(value)) check.problems.push('the signed message digest does not match the LDSSecurityObject: the hash list was changed after signing');
  }

  const cert = signerCertificate(sod);
  if (cert === undefined) {
    check.problems.push('EF.SOD does not carry the Document Signer certificate its SignerInfo names');
    check.signatureValid = false;
    return undefined;
  }
  check.signer = summary(cert);
  const encodingProblems = [signatureAlignmentProblem(cert, 'the Document Signer certificate')];
  if (ECDSA_SIGNATURE_ALGORITHMS.has(cert.signatureAlgorithm.algorithmId)) {
    const problem = ecdsaSignatureProblem(cert.signatureValue.valueBlock.valueHexView);
    encodingProblems.push(problem && `the Document Signer certificate's signature: ${problem}`);
  }
  if (ECDSA_SIGNATURE_ALGORITHMS.has(signerInfo.signatureAlgorithm.algorithmId)) {
    const problem = ecdsaSignatureProblem(signerInfo.signature.valueBlock.valueHexView);
    encodingProblems.push(problem && `the EF.SOD signature: ${problem}`);
  }
  for (const problem of encodingProblems) if (problem) check.problems.push(problem);
  try {
    const result = await sod.signedData.verify({ signer: 0, checkChain: false, extendedMode: true });
    check.signatureValid = result.signatureVerified === true;
  } catch (error) {
    const verdict = error as { signatureVerified?: boolean | null; message?: string };
    check.signatureValid = false;
    if (verdict.signatureVerified !== false) check.problems.push(`the signature cannot be checked: ${verdict.message ?? String(error)}`);
  }
  if (!check.signatureValid) check.problems.push('the EF.SOD signature does not verify with the Document Signer certificate it carries');
  return cert;
}

async function checkChain(ds: pkijs.Certificate, anchors: readonly pkijs.Certificate[], at: Date, check: SodCheck): Promise<void> {
  const problems: string[] = [];
  const named = anchors.filter((a) => ds.issuer.isEqual(a.subject));
  let csca: pkijs.Certificate | undefined;
  for (const candidate of named) {
    if (await verifiesWith(ds, candidate)) {
      csca = candidate;
      break;
    }
  }
  if (anchors.length === 0) problems.push('no trusted CSCA certificate was given');
  else if (named.length === 0) problems.push(`the Document Signer certificate was issued by ${distinguishedName(ds.issuer)}, which is none of the trusted CSCAs`);
  else if (csca === undefined) {
    problems.push(`the Document Signer certificate's signature does not verify with the key of the trusted CSCA ${distinguishedName(ds.issuer)}: it was signed by an untrusted key`);
  }
  if (csca !== undefined) {
    check.csca = distinguishedName(csca.subject);
    if (!isCa(csca)) problems.push('the CSCA certificate is not a CA certificate (basicConstraints cA)');
    if (!(keyUsage(csca)?.has('keyCertSign') ?? false)) problems.push('the CSCA certificate does not allow keyCertSign');
    const cscaValidity = validityProblem(csca, 'the CSCA certificate', at);
    if (cscaValidity) problems.push(cscaValidity);
  }
  if (isCa(ds)) problems.push('the Document Signer certificate is a CA certificate');
  if (!(keyUsage(ds)?.has('digitalSignature') ?? false)) problems.push('the Document Signer certificate does not allow digitalSignature');
  const dsValidity = validityProblem(ds, 'the Document Signer certificate', at);
  if (dsValidity) problems.push(dsValidity);
  check.chainValid = problems.length === 0;
  check.problems.push(...problems);
}

function mrzDifference(actual: readonly string[], expected: readonly string[]): string | undefined {
  if (actual.length !== expected.length) return `DG1 holds ${actual.length} MRZ lines, the expected MRZ ${expected.length}`;
  const fields: string[] = [];
  actual.forEach((line, i) => {
    const want = expected[i] ?? '';
    if (line === want) return;
    if (line.length !== want.length) {
      fields.push(`line ${i + 1} (length ${line.length}, expected ${want.length})`);
      return;
    }
    for (const f of TD1_FIELDS.filter((f) => f.line === i + 1)) {
      if (line.slice(f.start - 1, f.end) !== want.slice(f.start - 1, f.end)) fields.push(`${f.field} (line ${f.line}, ${f.start}–${f.end})`);
    }
  });
  return fields.length === 0 ? undefined : `DG1 MRZ differs from the expected MRZ in ${fields.join(', ')}`;
}

function collectFiles(files: LdsFiles, problems: (fid: string, message: string) => void): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const entries: [unknown, unknown][] = files instanceof Map ? [...(files as Map<unknown, unknown>)] : Array.isArray(files) ? (files as { fid?: unknown; data?: unknown }[]).map((f) => [f?.fid, f?.data]) : [];
  for (const [rawFid, data] of entries) {
    const fid = typeof rawFid === 'string' ? rawFid.toUpperCase() : String(rawFid);
    if (!(data instanceof Uint8Array)) {
      problems(fid, 'has no data (not a byte buffer)');
      continue;
    }
    if (out.has(fid)) problems(fid, 'was read twice');
    out.set(fid, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  return out;
}

/** Prefix of the one problem verifyLds reports if a check itself failed (a bug, never a chip's fault). */
export const INTERNAL_ERROR = 'verifier internal error';

/** Checks one LDS image. Resolves to a verdict for any input; never rejects. */
export async function verifyLds(files: LdsFiles, options: VerifyLdsOptions): Promise<LdsVerdict> {
  try {
    return await verify(files, options);
  } catch (error) {
    const problem = `${INTERNAL_ERROR}: ${(error as Error).message}`;
    return {
      ok: false,
      files: [{ fid: EF_SOD.fid, name: EF_SOD.name, ok: false, problems: [problem], problem }],
      sod: { ok: false, signatureValid: null, chainValid: null, dataGroups: [], problems: [problem] },
      dg1Mrz: null,
      problems: [`${EF_SOD.name}: ${problem}`],
    };
  }
}

async function verify(files: LdsFiles, options: VerifyLdsOptions): Promise<LdsVerdict> {
  const problems = new Map<string, string[]>();
  const add = (fid: string, message: string): void => {
    const list = problems.get(fid) ?? [];
    list.push(message);
    problems.set(fid, list);
  };
  const present = collectFiles(files, add);
  const at = options.at ?? new Date();
  const sodCheck: SodCheck = { problems: [], signatureValid: null, chainValid: null };
  let sod: DecodedSod | undefined;
  let hashAlgorithm: string | undefined;

  // EF.SOD: structure, signature, chain.
  const sodData = present.get(EF_SOD.fid);
  if (sodData === undefined) sodCheck.problems.push('missing');
  else {
    const decoded = decodeSod(sodData);
    if (!decoded.ok) sodCheck.problems.push(decoded.problem);
    else {
      sod = decoded.value;
      hashAlgorithm = sod.ldsSecurityObject.hashAlgorithm;
      if (sod.ldsSecurityObject.hashName === undefined) sodCheck.problems.push(`the LDSSecurityObject uses hash algorithm ${hashAlgorithm}, which ICAO 9303 does not allow`);
      try {
        const ds = await checkSignature(sod, sodCheck);
        const anchors = isTrustAnchors(options.csca) ? options.csca : trustAnchors(options.csca);
        if (anchors.unreadable > 0) sodCheck.problems.push('a trusted CSCA certificate given to the verifier is not a DER X.509 certificate');
        if (ds !== undefined) await checkChain(ds, anchors.certificates, at, sodCheck);
      } catch (error) {
        sodCheck.problems.push(`cannot be verified: ${(error as Error).message}`);
      }
    }
  }
  for (const p of sodCheck.problems) add(EF_SOD.fid, p);
  const sodGroups = sod === undefined ? [] : [...sod.ldsSecurityObject.hashes.keys()].sort((a, b) => a - b);

  // EF.COM: present, readable, and listing what EF.SOD hashes.
  const comData = present.get(EF_COM.fid);
  let comGroups: readonly number[] = [];
  if (comData === undefined) add(EF_COM.fid, 'missing');
  else {
    const com = decodeEfCom(comData);
    if (!com.ok) add(EF_COM.fid, com.problem);
    else {
      comGroups = com.value.dataGroups;
      if (sod !== undefined) {
        for (const n of comGroups) if (!sodGroups.includes(n)) add(EF_COM.fid, `lists DG${n}, which EF.SOD does not hash`);
        for (const n of sodGroups) if (!comGroups.includes(n)) add(EF_COM.fid, `does not list DG${n}, which EF.SOD hashes`);
      }
    }
  }

  // Data groups: hash, structure, expectations.
  const expected = options.expectedDataGroups;
  const groups = new Set<number>([1, ...sodGroups, ...comGroups, ...(expected ?? [])]);
  for (const info of DATA_GROUPS) if (present.has(info.fid)) groups.add(info.dataGroup!);
  let dg1Mrz: readonly string[] | null = null;
  const hashMatches = new Map<string, boolean>();
  for (const n of [...groups].sort((a, b) => a - b)) {
    const info = DATA_GROUPS[n - 1]!;
    const data = present.get(info.fid);
    if (data === undefined) {
      const why = [sodGroups.includes(n) ? 'EF.SOD hashes it' : '', comGroups.includes(n) ? 'EF.COM lists it' : '', n === 1 || expected?.includes(n) ? 'the card requires it' : '']
        .filter(Boolean)
        .join(', ');
      add(info.fid, `missing (${why})`);
      continue;
    }
    if (expected !== undefined && !expected.includes(n) && n !== 1) add(info.fid, 'is present but not expected on this card');
    if (sod !== undefined) {
      const stored = sod.ldsSecurityObject.hashes.get(n);
      const hashName = sod.ldsSecurityObject.hashName;
      const matches = stored !== undefined && hashName !== undefined && createHash(hashName).update(data).digest().equals(stored);
      if (stored !== undefined && hashName !== undefined) hashMatches.set(info.fid, matches);
      if (stored === undefined) {
        add(info.fid, 'is not covered by EF.SOD (no hash for it)');
        hashMatches.set(info.fid, false);
      } else if (hashName !== undefined && !matches) {
        add(info.fid, `hash mismatch: the ${hashName.toUpperCase()} of the file differs from the one EF.SOD holds (the file was altered)`);
      }
    }
    if (n === 1) {
      const dg1 = decodeDg1(data);
      if (!dg1.ok) add(info.fid, dg1.problem);
      else {
        dg1Mrz = dg1.value;
        const difference = options.expectedMrz === undefined ? undefined : mrzDifference(dg1.value, options.expectedMrz);
        if (difference) add(info.fid, difference);
      }
    } else if (n === 2) {
      const dg2 = decodeDg2(data);
      if (!dg2.ok) add(info.fid, dg2.problem);
    } else if (n === 13) {
      const dg13 = decodeDg13(data);
      if (!dg13.ok) add(info.fid, dg13.problem);
    } else {
      const parsed = parseDer(data, info.name);
      if (!parsed.ok) add(info.fid, parsed.problem);
      else if (tagOf(parsed.value) !== info.tag) add(info.fid, `starts with tag ${tagOf(parsed.value).toString(16).toUpperCase()}, expected ${info.tag.toString(16).toUpperCase()}`);
    }
  }
  for (const fid of present.keys()) {
    const info = fileByFid(fid);
    if (info === undefined) add(fid, 'is not a file of the LDS (unknown file identifier)');
  }

  // Verdicts in file order.
  const order = [EF_COM.fid, ...[...groups].sort((a, b) => a - b).map((n) => DATA_GROUPS[n - 1]!.fid), EF_SOD.fid, ...[...problems.keys()].filter((fid) => fileByFid(fid) === undefined)];
  const verdicts: FileVerdict[] = [...new Set(order)].map((fid) => {
    const list = problems.get(fid) ?? [];
    const name = fileByFid(fid)?.name ?? `file ${fid}`;
    const hash = hashMatches.has(fid) ? { hashMatches: hashMatches.get(fid)! } : {};
    return list.length === 0 ? { fid, name, ok: true, problems: [], ...hash } : { fid, name, ok: false, problems: list, problem: list.join('; '), ...hash };
  });
  const sodProblems = problems.get(EF_SOD.fid) ?? [];
  return {
    ok: verdicts.every((v) => v.ok),
    files: verdicts,
    sod: {
      ok: sodProblems.length === 0,
      signatureValid: sodCheck.signatureValid,
      chainValid: sodCheck.chainValid,
      ...(sodCheck.signer ? { signer: sodCheck.signer } : {}),
      ...(sodCheck.csca ? { csca: sodCheck.csca } : {}),
      ...(hashAlgorithm ? { hashAlgorithm } : {}),
      dataGroups: sodGroups,
      problems: sodProblems,
    },
    dg1Mrz,
    problems: verdicts.flatMap((v) => v.problems.map((p) => `${v.name}: ${p}`)),
  };
}
