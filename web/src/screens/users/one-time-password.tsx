/**
 * The one-time password of a user just added or reset, shown this once in a modal dialog: the
 * server never shows it again, so the admin hands it over now; the user chooses their own at login.
 */
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../../i18n/i18n.ts';

export function OneTimePasswordDialog({ shown, onClose }: { readonly shown: { readonly name: string; readonly password: string } | null; readonly onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (shown && !d.open) {
      d.showModal();
      close.current?.focus();
    } else if (!shown && d.open) d.close();
  }, [shown]);
  return (
    <dialog ref={dialog} class="confirm users-otp" aria-labelledby="users-otp-title" onCancel={(e) => (e.preventDefault(), onClose())}>
      <h2 id="users-otp-title">{t('users.otp.title', { name: shown?.name ?? '' })}</h2>
      <p>
        {t('users.otp.label')} <code class="users-otp-value">{shown?.password ?? ''}</code>
      </p>
      <p>{t('users.otp.once')}</p>
      <div class="actions">
        <button type="button" ref={close} class="primary" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </dialog>
  );
}
