/** Tiếng Việt / English: remembered for the signed-in user (and in this browser before login). */
import { locale, t, type Locale } from '../i18n/i18n.ts';
import { chooseLocale } from '../session.ts';

export function LanguageSwitch() {
  const options: Locale[] = ['vi', 'en'];
  return (
    <div class="lang" role="group" aria-label={t('lang.label')}>
      {options.map((l) => (
        <button key={l} type="button" lang={l} aria-pressed={locale.value === l} onClick={() => void chooseLocale(l)}>
          {t(l === 'vi' ? 'lang.vi' : 'lang.en')}
        </button>
      ))}
    </div>
  );
}
