/**
 * The words for codes the controller sends (a unit's PackML state, a card's reason code), from the
 * catalogues' shared `packml.*` and `reason.*` blocks, so that every screen names a code alike. A
 * code the catalogue does not know (a newer controller's, a simulator's `Invalid(n)`) is shown as
 * it came rather than as a missing-key mark: it is data, not a string the screens forgot.
 */
import { tDynamic } from './i18n.ts';

function named(prefix: string, code: string): string {
  const text = tDynamic(`${prefix}.${code}`);
  return text.startsWith('⟦') ? code : text;
}

/** A PackML state's name in the current language (`unknown`: the state is not known yet). */
export const packmlStateLabel = (state: string): string => named('packml', state);

/** A reason code's label in the current language. */
export const reasonLabel = (code: string): string => named('reason', code);
