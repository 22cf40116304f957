/** The qa screen (issue 18). */
import { t } from '../i18n/i18n.ts';

export function QaScreen({ args }: { readonly args: readonly string[] }) {
  void args;
  return <h1>{t('nav.qa')}</h1>;
}
