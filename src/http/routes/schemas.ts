/** Request pieces several route files share: ids in paths, reason codes, notes. */
import { z } from 'zod';

/** A batch id (`YYYYMMDD-xxxxxx` as the store makes them). */
export const batchId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'a batch id, e.g. 20261207-3fa9c1');
export const cardSerial = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a card serial as qa list shows it');
export const lineId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a line id of the site');
export const reasonCode = z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'a reason code (docs/line-control.md), e.g. INSPECTOR_REJECT');
export const note = z.string().max(500).describe('what was seen or done; never personal data');

export const batchParams = z.object({ batchId });
export const cardParams = z.object({ cardSerial });
