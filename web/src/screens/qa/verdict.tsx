/**
 * The controller's verdict on a card in detail: what the QA station measured (src/qa/figures.ts)
 * and how it was judged. A figure that was not recorded says so; nothing is made up.
 */
import { reasonLabel } from '../../i18n/codes.ts';
import { formatDate, formatDateTime, formatNumber, t, tDynamic } from '../../i18n/i18n.ts';
import type { Inspection } from './types.ts';

const yesNo = (v: boolean | null | undefined): string => (v === null || v === undefined ? t('qa.detail.notMeasured') : v ? t('qa.yes') : t('qa.no'));
const validity = (v: boolean | null | undefined): string => (v === null || v === undefined ? t('qa.notChecked') : v ? t('qa.valid') : t('qa.invalid'));
const match = (v: boolean | null | undefined): string => (v === null || v === undefined ? t('qa.detail.notMeasured') : v ? t('qa.ok') : t('qa.mismatch'));
/** Marks a figure that needs attention (ISA-101: colour only for what is wrong). */
const bad = (v: boolean | null | undefined): string | undefined => (v === false ? 'qa-bad' : undefined);

const HASHES: Readonly<Record<string, string>> = { '2.16.840.1.101.3.4.2.1': 'SHA-256', '2.16.840.1.101.3.4.2.2': 'SHA-384', '2.16.840.1.101.3.4.2.3': 'SHA-512' };
const grade = (g: number): string => formatNumber(g, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function VerdictDetail({ inspection }: { readonly inspection: Inspection }) {
  const { verdict, figures: f } = inspection;
  return (
    <section class="panel qa-verdict" aria-labelledby="qa-verdict-title">
      <h3 id="qa-verdict-title">{t('qa.detail.title')}</h3>
      <dl class="qa-facts">
        <dt>{t('qa.detail.verdict')}</dt>
        <dd class={verdict?.outcome === 'failed' ? 'qa-bad' : undefined}>
          {verdict ? `${tDynamic(`qa.verdict.${verdict.outcome}`)}${verdict.reason ? ` — ${reasonLabel(verdict.reason)}` : ''}` : t('qa.verdict.none')}
          {verdict?.detail && <span class="qa-problem"> ({verdict.detail})</span>}
          {verdict && <span class="muted"> · {t('qa.detail.at', { time: formatDateTime(verdict.at) })}</span>}
        </dd>
        {f ? (
          <>
            <dt>{t('qa.detail.chipRead')}</dt>
            <dd class={bad(f.chipRead)}>{yesNo(f.chipRead)}</dd>
            <dt>{t('qa.detail.sodSignature')}</dt>
            <dd class={bad(f.sod?.signatureValid)}>{validity(f.sod?.signatureValid)}</dd>
            <dt>{t('qa.detail.sodChain')}</dt>
            <dd class={bad(f.sod?.chainValid)}>{validity(f.sod?.chainValid)}</dd>
            <dt>{t('qa.detail.signer')}</dt>
            <dd>{f.sod?.signer ? t('qa.detail.signerValue', { subject: f.sod.signer.subject, serial: f.sod.signer.serialNumber, date: formatDate(f.sod.signer.notAfter) }) : t('qa.detail.notMeasured')}</dd>
            <dt>{t('qa.detail.csca')}</dt>
            <dd>{f.sod?.csca ?? t('qa.detail.notMeasured')}</dd>
            <dt>{t('qa.detail.hashAlgorithm')}</dt>
            <dd>{f.sod?.hashAlgorithm ? (HASHES[f.sod.hashAlgorithm] ?? f.sod.hashAlgorithm) : t('qa.detail.notMeasured')}</dd>
            <dt>{t('qa.detail.dg1')}</dt>
            <dd class={bad(f.dg1MatchesMrz)}>{match(f.dg1MatchesMrz)}</dd>
            <dt>{t('qa.detail.ocr')}</dt>
            <dd class={f.ocrMrzLinesMatch === null || f.ocrMrzLinesMatch.includes(false) ? 'qa-bad' : undefined}>
              {f.ocrMrzLinesMatch === null ? t('qa.detail.ocrNone') : f.ocrMrzLinesMatch.map((ok, i) => t('qa.detail.ocrLine', { line: i + 1, result: match(ok) })).join('; ')}
            </dd>
            <dt>{t('qa.detail.grade')}</dt>
            <dd class={f.printGrade < f.minPrintGrade ? 'qa-bad' : undefined}>{t('qa.detail.gradeValue', { grade: grade(f.printGrade), min: grade(f.minPrintGrade) })}</dd>
          </>
        ) : (
          <>
            <dt>{t('qa.detail.files')}</dt>
            <dd>{t('qa.detail.notRecorded')}</dd>
          </>
        )}
      </dl>
      {f && f.files.length > 0 && (
        <table class="qa-files">
          <caption>{t('qa.detail.files')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('qa.detail.file')}</th>
              <th scope="col">{t('qa.detail.hash')}</th>
              <th scope="col">{t('qa.detail.result')}</th>
            </tr>
          </thead>
          <tbody>
            {f.files.map((file) => (
              <tr key={file.fid}>
                <th scope="row">
                  {file.name} <span class="muted">({file.fid})</span>
                </th>
                <td class={bad(file.hashMatches)}>{file.hashMatches === null ? '—' : match(file.hashMatches)}</td>
                <td class={file.ok ? undefined : 'qa-bad'}>{file.ok ? t('qa.valid') : file.problems.join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
