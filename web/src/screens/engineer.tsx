/** The engineer screen (issue 18). */
import { t } from '../i18n/i18n.ts';

export function EngineerScreen({ args }: { readonly args: readonly string[] }) {
  void args;
  return <h1>{t('nav.engineer')}</h1>;
}
