/** The audit screen (issue 18). */
import { t } from '../i18n/i18n.ts';

export function AuditScreen({ args }: { readonly args: readonly string[] }) {
  void args;
  return <h1>{t('nav.audit')}</h1>;
}
