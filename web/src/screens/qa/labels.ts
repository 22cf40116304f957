/** The QA desk's words for a card's state now and a batch's status (the catalogues' qa block); reason codes are the shared reason.* block's. */
import { reasonLabel } from '../../i18n/codes.ts';
import { t, tDynamic } from '../../i18n/i18n.ts';
import type { QaQueueEntry } from './types.ts';

/** The reason codes an inspector may give a reject: their own, and the controller's QA verdict's. */
export const REJECT_REASONS = ['INSPECTOR_REJECT', 'PRINT_GRADE_LOW', 'MRZ_OCR_MISMATCH', 'CHIP_UNREADABLE', 'CHIP_FILE_MISSING', 'CHIP_HASH_MISMATCH', 'CHIP_SIGNATURE_INVALID', 'CHIP_DG1_MISMATCH'] as const;

/** Where the card is and what became of its record. */
export function nowText(card: Pick<QaQueueEntry, 'cardSerial' | 'seq' | 'status' | 'reason' | 'record'>): string {
  const where = card.status === 'spoiled' ? t('qa.status.spoiled', { reason: reasonLabel(card.reason ?? '?') }) : tDynamic(`qa.status.${card.status}`);
  const record = card.record;
  const remade = record.status === 'produced' && record.cardSerial !== null && record.cardSerial !== card.cardSerial;
  const what = remade ? t('qa.record.remade', { seq: String(card.seq), serial: record.cardSerial }) : tDynamic(`qa.record.${record.status}`, { seq: String(card.seq) });
  return `${where}; ${what}`;
}

/** A batch's status in words; an unknown one as it is. */
export function batchStatusLabel(status: string): string {
  const text = tDynamic(`qa.batchStatus.${status}`);
  return text.startsWith('⟦') ? status : text;
}
