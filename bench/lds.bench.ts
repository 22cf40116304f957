/**
 * Chip data preparation speed on one core: LdsBuilder.build — DG1, DG2 with the portrait, DG13,
 * the SHA-256 of each, EF.COM, the LDSSecurityObject and the signed EF.SOD — against bare
 * signatures with the same DS key and algorithm in the same run. The cards' inputs (the MRZ from
 * the MRZ module, the DG13 texts, the JPEG's size) are prepared from the records before timing:
 * the line composes the MRZ for the laser anyway, and bench/mrz.bench.ts times it. The figure from
 * the record, that preparation included, is printed as well.
 * Targets (issue): ≥ 500 cards/s (500,000 cards in under 20 minutes) and a ratio ≥ 0.5.
 */
import { sign } from 'node:crypto';
import { cardChipData, LdsBuilder, verifyLds, type LdsInput } from '../src/domain/lds/index.ts';
import { createTestPki, FileSigner } from '../src/pki/index.ts';
import { bench, info } from './report.ts';
import { benchCards } from './lds-cards.ts';

const CARDS = 4000;
const ROUNDS = 5;

const pki = await createTestPki();
const signer = new FileSigner(pki.ds.certificate, pki.ds.privateKey);
const builder = await LdsBuilder.create(signer);
const cards = await benchCards(CARDS, 'bench-lds');
const withPortrait = cards.filter((c) => c.portrait !== undefined).length;
const portraitBytes = cards.reduce((n, c) => n + (c.portrait?.length ?? 0), 0) / Math.max(1, withPortrait);
info(`${CARDS} sampled records, ${withPortrait} with a portrait (mean JPEG ${portraitBytes.toFixed(0)} bytes); ECDSA P-256 / SHA-256, node:crypto`);

const inputs = cards.map((card) => cardChipData(card.record, card.portrait).input);

let sink = 0;
async function buildAll(): Promise<number> {
  const t0 = performance.now();
  for (const input of inputs) {
    const image = await builder.build(input);
    sink += image.files.length;
  }
  return performance.now() - t0;
}

async function buildAllFromRecords(): Promise<number> {
  const t0 = performance.now();
  for (const card of cards) {
    const image = await builder.build(cardChipData(card.record, card.portrait).input);
    sink += image.files.length;
  }
  return performance.now() - t0;
}

// The baseline: what signing alone costs, the same key and algorithm over ~100 bytes (the size of
// the signed attributes EF.SOD signs).
const message = Buffer.alloc(100, 0x5a);
function signAll(): number {
  const t0 = performance.now();
  for (let i = 0; i < CARDS; i++) sink += sign('sha256', message, pki.ds.privateKey).length;
  return performance.now() - t0;
}

// Warm-up, then alternate so that both see the same machine state; best round of each.
await buildAll();
await buildAllFromRecords();
signAll();
let cardMs = Infinity;
let signMs = Infinity;
let recordMs = Infinity;
for (let r = 0; r < ROUNDS; r++) {
  signMs = Math.min(signMs, signAll());
  cardMs = Math.min(cardMs, await buildAll());
  recordMs = Math.min(recordMs, await buildAllFromRecords());
}

// The figures mean nothing if the images are wrong: verify one of each kind.
for (const card of [cards.find((c) => c.portrait !== undefined), cards.find((c) => c.portrait === undefined)]) {
  if (card === undefined) continue;
  const data = cardChipData(card.record, card.portrait);
  const input: LdsInput = data.input;
  const verdict = await verifyLds((await builder.build(input)).files, { csca: [pki.csca.certificate], expectedMrz: data.mrz });
  if (!verdict.ok) throw new Error(`bench image does not verify: ${verdict.problems.join('; ')}`);
}

const cardsPerS = (CARDS / cardMs) * 1000;
const signsPerS = (CARDS / signMs) * 1000;
const fromRecordPerS = (CARDS / recordMs) * 1000;
info(`best of ${ROUNDS}: ${CARDS} cards in ${cardMs.toFixed(0)} ms, ${CARDS} bare signatures in ${signMs.toFixed(0)} ms (checksum ${sink})`);
info(`from the records (MRZ composition and DG13 texts included): ${recordMs.toFixed(0)} ms, ratio ${(fromRecordPerS / signsPerS).toFixed(3)} to bare signatures`);
info(`a peak day of 500,000 cards takes ${(500_000 / fromRecordPerS / 60).toFixed(1)} minutes on one core, from the records`);
bench('lds_cards_per_s', cardsPerS, 'cards/s');
bench('lds_bare_signs_per_s', signsPerS, 'signatures/s');
bench('lds_vs_bare_sign_ratio', cardsPerS / signsPerS, 'ratio');
bench('lds_cards_from_record_per_s', fromRecordPerS, 'cards/s');
