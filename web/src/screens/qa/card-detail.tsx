/**
 * One card at the QA desk: its front and back rendered from the record (a 300 dpi preview, which
 * the server audits: it decrypts the citizen's data), the controller's verdict in detail, and the
 * inspector's reject with a reason code, confirmed first.
 */
import { useState } from 'preact/hooks';
import { API, post, seg } from '../../api.ts';
import { Confirm } from '../../components/confirm.tsx';
import { ProblemMessage } from '../../components/problem.tsx';
import { reasonLabel } from '../../i18n/codes.ts';
import { t } from '../../i18n/i18n.ts';
import { can } from '../../session.ts';
import { nowText, REJECT_REASONS } from './labels.ts';
import type { Inspection } from './types.ts';
import { VerdictDetail } from './verdict.tsx';

/** Fine enough to check the print (85.6 mm → about 1,000 px). */
const PREVIEW_DPI = 300;

function Preview({ serial, side, zoomed }: { readonly serial: string; readonly side: 'front' | 'back'; readonly zoomed: boolean }) {
  return (
    <figure class="qa-preview">
      <div class={zoomed ? 'qa-preview-frame zoomed' : 'qa-preview-frame'}>
        <img src={`${API}/cards/${seg(serial)}/preview?side=${side}&dpi=${PREVIEW_DPI}`} alt={t(side === 'front' ? 'qa.preview.front' : 'qa.preview.back', { serial })} data-side={side} />
      </div>
      <figcaption>{t(side === 'front' ? 'qa.preview.frontCaption' : 'qa.preview.backCaption')}</figcaption>
    </figure>
  );
}

export interface RejectAnswer {
  readonly batchId: string;
  readonly seq: number;
  readonly record: string;
}

export function CardDetail({ inspection, onClose, onRejected }: { readonly inspection: Inspection; readonly onClose: () => void; readonly onRejected: (answer: RejectAnswer) => void }) {
  const serial = inspection.cardSerial;
  const [zoomed, setZoomed] = useState(false);
  const [reason, setReason] = useState<string>(REJECT_REASONS[0]);
  const [note, setNote] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const mayPreview = can('batch.export');
  const mayReject = can('qa.reject');

  const reject = async () => {
    setConfirming(false);
    setError(null);
    try {
      onRejected(await post<RejectAnswer>(`/cards/${seg(serial)}/reject`, { reason, ...(note.trim() ? { note: note.trim() } : {}) }));
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section class="qa-card" aria-labelledby="qa-card-title">
      <div class="qa-card-head">
        <h2 id="qa-card-title">{t('qa.card.title', { serial })}</h2>
        <button type="button" onClick={onClose}>
          {t('qa.card.close')}
        </button>
      </div>
      <p>
        {t('qa.card.summary', { batch: inspection.batchId, seq: String(inspection.seq), attempt: String(inspection.attempt) })} · <span class="qa-now">{nowText(inspection)}</span>
      </p>
      {mayPreview && (
        <>
          <div class="qa-previews">
            <Preview serial={serial} side="front" zoomed={zoomed} />
            <Preview serial={serial} side="back" zoomed={zoomed} />
          </div>
          <p class="muted">
            <button type="button" aria-pressed={zoomed} onClick={() => setZoomed(!zoomed)}>
              {t('qa.preview.zoom')}
            </button>{' '}
            {t('qa.preview.audited')}
          </p>
        </>
      )}
      <VerdictDetail inspection={inspection} />
      {mayReject && (
        <form class="panel qa-reject" aria-labelledby="qa-reject-title" onSubmit={(e) => (e.preventDefault(), setConfirming(true))}>
          <h3 id="qa-reject-title">{t('qa.reject.title')}</h3>
          {inspection.status === 'good' ? (
            <>
              <label>
                {t('qa.reject.reason')}
                <select name="reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
                  {REJECT_REASONS.map((code) => (
                    <option key={code} value={code}>
                      {reasonLabel(code)} ({code})
                    </option>
                  ))}
                </select>
              </label>
              <label>
                {t('qa.reject.note')}
                <input name="note" maxLength={500} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
              </label>
              <button type="submit" class="attention">
                {t('qa.reject.submit')}
              </button>
            </>
          ) : (
            <p class="muted">{t('qa.reject.notStacked')}</p>
          )}
          <ProblemMessage error={error} />
        </form>
      )}
      <Confirm open={confirming} title={t('qa.reject.confirmTitle', { serial })} confirmLabel={t('qa.reject.confirm')} onConfirm={() => void reject()} onCancel={() => setConfirming(false)}>
        <p>{t('qa.reject.confirmText', { reason: `${reasonLabel(reason)} (${reason})` })}</p>
      </Confirm>
    </section>
  );
}
