/** The cards the controller wants a person to look at, with why, the verdict and what became of each. */
import { formatNumber, formatPercent, t, tDynamic } from '../../i18n/i18n.ts';
import { nowText } from './labels.ts';
import type { QaQueue } from './types.ts';

export function QueueTable({ queue, selected, onInspect }: { readonly queue: QaQueue; readonly selected: string | null; readonly onInspect: (serial: string) => void }) {
  if (queue.cards.length === 0) return <p class="muted">{t('qa.queue.empty')}</p>;
  return (
    <table class="qa-queue">
      <caption>{t('qa.queue.caption', { count: queue.cards.length, rate: formatPercent(queue.sampleRate) })}</caption>
      <thead>
        <tr>
          <th scope="col">{t('qa.col.serial')}</th>
          <th scope="col" class="num">{t('qa.col.record')}</th>
          <th scope="col" class="num">{t('qa.col.attempt')}</th>
          <th scope="col">{t('qa.col.why')}</th>
          <th scope="col">{t('qa.col.verdict')}</th>
          <th scope="col" class="num">{t('qa.col.grade')}</th>
          <th scope="col">{t('qa.col.now')}</th>
          <th scope="col">{t('qa.col.action')}</th>
        </tr>
      </thead>
      <tbody>
        {queue.cards.map((c) => (
          <tr key={c.cardSerial} data-serial={c.cardSerial} aria-current={c.cardSerial === selected ? 'true' : undefined} class={c.verdict === 'failed' || c.why.includes('rejected') ? 'qa-attention' : undefined}>
            <th scope="row" class="serial">{c.cardSerial}</th>
            <td class="num">{formatNumber(c.seq)}</td>
            <td class="num">{formatNumber(c.attempt)}</td>
            <td>{c.why.map((w) => tDynamic(`qa.why.${w}`)).join(', ')}</td>
            <td>{c.verdict ? tDynamic(`qa.verdict.${c.verdict}`) : t('qa.verdict.none')}</td>
            <td class="num">{c.printGrade === null ? '—' : formatNumber(c.printGrade, { minimumFractionDigits: 1, maximumFractionDigits: 1 })}</td>
            <td class="qa-now">{nowText(c)}</td>
            <td>
              <button type="button" aria-label={t('qa.inspect', { serial: c.cardSerial })} onClick={() => onInspect(c.cardSerial)}>
                {t('qa.inspectShort')}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
