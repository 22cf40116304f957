/** The QA station's figures (figures.ts) of one inspection: what the station returned and what the LDS verifier found in it. */
import type { LdsVerdict } from '../domain/lds/verify.ts';
import type { JobResult } from '../plc/job-data.ts';
import type { InspectionFigures } from './figures.ts';

export function inspectionFigures(inspection: Extract<JobResult, { kind: 'inspect' }>, lds: LdsVerdict | undefined, expectedMrz: readonly string[], minPrintGrade: number): InspectionFigures {
  return {
    v: 1,
    chipRead: inspection.chip !== null,
    files: (lds?.files ?? []).map((f) => ({ fid: f.fid, name: f.name, ok: f.ok, problems: f.problems, hashMatches: f.hashMatches ?? null })),
    sod: lds
      ? {
          signatureValid: lds.sod.signatureValid,
          chainValid: lds.sod.chainValid,
          hashAlgorithm: lds.sod.hashAlgorithm ?? null,
          signer: lds.sod.signer ? { subject: lds.sod.signer.subject, issuer: lds.sod.signer.issuer, serialNumber: lds.sod.signer.serialNumber, notAfter: lds.sod.signer.notAfter } : null,
          csca: lds.sod.csca ?? null,
        }
      : null,
    dg1MatchesMrz: lds?.dg1Mrz ? lds.dg1Mrz.join('\n') === expectedMrz.join('\n') : null,
    ocrMrzLinesMatch: inspection.ocrMrz === null ? null : expectedMrz.map((line, i) => inspection.ocrMrz![i] === line),
    printGrade: inspection.printGrade,
    minPrintGrade,
  };
}
