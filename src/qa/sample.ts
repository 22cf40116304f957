/**
 * The random sample of stacked cards a person looks at (the site file's `qa.sampleRate`): decided
 * by the card's serial alone (FNV-1a with MurmurHash3's finaliser, 32 bits), so every screen and every reload agrees on which
 * cards are in it, and an inspector cannot steer it. Pure: the browser may import it.
 */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // MurmurHash3's finaliser: serials differ in their last digits, which FNV leaves in the low bits.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** Whether the card of `serial` is in a sample of `rate` (0–1). */
export function inQaSample(serial: string, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return fnv1a(serial) / 0x1_0000_0000 < rate;
}

/** The site file's default `qa.sampleRate` (src/site/site-config.ts), for a server without a site. */
export const DEFAULT_QA_SAMPLE_RATE = 0.02;
