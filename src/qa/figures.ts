/**
 * What the QA station measured on a card, as the controller judged it: the chip read through BAC,
 * each file of its LDS with its hash checked against EF.SOD, EF.SOD's signature and Document Signer
 * chain, DG1 against the record's MRZ, the OCR'd MRZ line by line, and the print grade. Kept with
 * the verdict (the `qa.passed`/`qa.failed` card event's detail: src/qa/figures-notes.ts), so the QA
 * screen shows what was measured rather than a summary. Never personal data: matches are booleans,
 * problems are the verifier's (which never quote the MRZ or names), the signer is the Document
 * Signer certificate's (an issuer's, not a citizen's). Types only: the browser imports them.
 */
export interface InspectionFigures {
  readonly v: 1;
  /** The chip answered BAC with the keys of the engraved MRZ and its files were read. */
  readonly chipRead: boolean;
  /** EF.COM, the data groups, EF.SOD (as the verifier lists them); empty when the chip was not read. */
  readonly files: readonly { readonly fid: string; readonly name: string; readonly ok: boolean; readonly problems: readonly string[]; readonly hashMatches: boolean | null }[];
  /** EF.SOD's signature and chain; null when the chip was not read. */
  readonly sod: {
    readonly signatureValid: boolean | null;
    readonly chainValid: boolean | null;
    readonly hashAlgorithm: string | null;
    readonly signer: { readonly subject: string; readonly issuer: string; readonly serialNumber: string; readonly notAfter: string } | null;
    readonly csca: string | null;
  } | null;
  /** DG1 holds the record's MRZ; null when DG1 was not read. */
  readonly dg1MatchesMrz: boolean | null;
  /** The MRZ as QA's camera read it, line by line against the record's: null when no MRZ was found. */
  readonly ocrMrzLinesMatch: readonly boolean[] | null;
  /** ISO/IEC 15415-style grade 0.0–4.0, and the lowest the controller passes. */
  readonly printGrade: number;
  readonly minPrintGrade: number;
}
