/** An error from the server, said in the user's language, in a live region screen readers announce. */
import { ApiError } from '../api.ts';
import { t } from '../i18n/i18n.ts';

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

export function ProblemMessage({ error }: { readonly error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="problem" role="alert">
      {t('common.error', { detail: errorText(error) })}
    </p>
  );
}
