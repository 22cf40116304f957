/**
 * A confirmation for what cannot be undone (abort a batch, reject a card): a modal <dialog> with
 * the question, Confirm and Cancel, focus on Cancel so a stray Enter does nothing harmful.
 */
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../i18n/i18n.ts';

export interface ConfirmProps {
  readonly open: boolean;
  readonly title: string;
  readonly children?: preact.ComponentChildren;
  readonly confirmLabel?: string;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}

export function Confirm({ open, title, children, confirmLabel, onConfirm, onCancel }: ConfirmProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      cancel.current?.focus();
    } else if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={dialog} class="confirm" aria-labelledby="confirm-title" onCancel={(e) => (e.preventDefault(), onCancel())}>
      <h2 id="confirm-title">{title}</h2>
      {children}
      <div class="actions">
        <button type="button" ref={cancel} onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="button" class="attention" onClick={onConfirm}>
          {confirmLabel ?? t('common.confirm')}
        </button>
      </div>
    </dialog>
  );
}
