/**
 * ICAO 9303 Part 3, section 4.9: characters take values 0–9, A=10 … Z=35, '<'=0; weights
 * 7, 3, 1 repeat from the left; the check digit is the sum modulo 10.
 */
const WEIGHTS = [7, 3, 1] as const;

export function charValue(ch: string): number | undefined {
  const c = ch.charCodeAt(0);
  if (c >= 48 && c <= 57) return c - 48; // 0–9
  if (c >= 65 && c <= 90) return c - 55; // A–Z
  if (c === 60) return 0; // '<'
  return undefined;
}

/** The check digit of MRZ text; throws on a character outside A–Z, 0–9, '<' (misuse). */
export function checkDigit(text: string): string {
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const value = charValue(text[i]!);
    if (value === undefined) throw new Error(`checkDigit: '${text[i]}' is not an MRZ character`);
    sum += value * WEIGHTS[i % 3]!;
  }
  return String(sum % 10);
}
