/**
 * The language of the screens and the formatting of numbers and dates in it. `t()` reads the
 * current locale signal, so a component that calls it re-renders when the user switches language.
 * A key missing from a catalogue shows as ⟦key⟧: the browser tests fail on any such mark.
 */
import { signal } from '@preact/signals';
import { en } from './en.ts';
import { vi, type MessageKey } from './vi.ts';

export type Locale = 'vi' | 'en';
export type { MessageKey };

const CATALOGUES: Record<Locale, Record<string, string | undefined>> = { vi, en };
/** BCP 47 tags for Intl: vi-VN writes 07/12/2026 and 1.234; English uses day-first dates too. */
const INTL_TAG: Record<Locale, string> = { vi: 'vi-VN', en: 'en-GB' };
const LOCALE_KEY = 'cardline.locale';

function initialLocale(): Locale {
  try {
    return localStorage.getItem(LOCALE_KEY) === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
}

export const locale = signal<Locale>(initialLocale());
/** The site's time zone: the screens show site time, whatever the browser's zone. */
export const timeZone = signal<string>('Asia/Ho_Chi_Minh');

export function setLocale(next: Locale): void {
  locale.value = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(LOCALE_KEY, next);
  } catch {
    // a browser without storage keeps the choice for this page only
  }
}

export function t(key: MessageKey, params?: Readonly<Record<string, string | number>>): string {
  const text = CATALOGUES[locale.value][key];
  if (text === undefined) return `⟦${key}⟧`;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? formatNumber(value) : value;
  });
}

/** A message key built at run time (a PackML state, a reason code): ⟦key⟧ when the catalogue lacks it. */
export function tDynamic(key: string, params?: Readonly<Record<string, string | number>>): string {
  return t(key as MessageKey, params);
}

export function formatNumber(value: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(INTL_TAG[locale.value], options).format(value);
}

export function formatPercent(ratio: number, digits = 1): string {
  return formatNumber(ratio, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatDate(at: Date | string): string {
  return new Intl.DateTimeFormat(INTL_TAG[locale.value], { timeZone: timeZone.value, day: '2-digit', month: '2-digit', year: 'numeric' }).format(new Date(at));
}

export function formatTime(at: Date | string): string {
  return new Intl.DateTimeFormat(INTL_TAG[locale.value], { timeZone: timeZone.value, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(new Date(at));
}

export function formatDateTime(at: Date | string): string {
  return `${formatDate(at)} ${formatTime(at)}`;
}
