/**
 * Repository of delivery packs (the packer station, issue 14): the packs of a batch, the cards in
 * them, and each record's delivery office. The planner (src/packing/planner.ts) decides; its
 * changes are written here as SQL statements, so the line journal can commit them with the card's
 * result, and `apply` writes them on their own (an inspector's rejection, tests).
 */
import type { Knex } from 'knex';
import { UNSORTED } from '../domain/delivery-office.ts';
import type { PackCard, PackChange, PackState } from '../packing/pack.ts';
import { appendAudit, type AuditInput } from './audit.ts';
import { dialectOf, insertSql, runStatements, sqlLiteral, updateSql, type Dialect } from './sql.ts';

interface PackRow {
  pack_id: string;
  batch_id: string;
  line_id: string;
  office: string;
  pack_no: number | string;
  pocket: number | string | null;
  closed: boolean | number;
  remainder: boolean | number;
  manifest_version: number | string;
  opened_at: Date | string;
  closed_at: Date | string | null;
}

interface PackCardRow {
  pack_id: string;
  card_serial: string;
  batch_id: string;
  seq: number | string;
  slot: number | string;
  removed_at: Date | string | null;
  removed_reason: string | null;
}

/** A pack with where it was made and the cards taken out of it (for the manifest). */
export interface PackDetail extends PackState {
  readonly lineId: string;
  readonly removed: readonly (PackCard & { readonly reason: string | null })[];
}

const PACK_COLUMNS = ['pack_id', 'batch_id', 'line_id', 'office', 'pack_no', 'pocket', 'closed', 'remainder', 'manifest_version', 'opened_at'] as const;
const PACK_CARD_COLUMNS = ['pack_id', 'card_serial', 'batch_id', 'seq', 'slot', 'packed_at'] as const;

/** The planner's changes as SQL statements (no trailing `;`), in order. */
export function packChangeStatements(dialect: Dialect, lineId: string, batchId: string, changes: readonly PackChange[], at: string): string[] {
  const out: string[] = [];
  for (const c of changes) {
    switch (c.kind) {
      case 'opened':
        out.push(insertSql(dialect, 'packs', PACK_COLUMNS, [[c.packId, batchId, lineId, c.office, c.packNo, c.pocket, false, false, 0, at]]));
        break;
      case 'loaded':
        out.push(updateSql(dialect, 'packs', [['pocket', c.pocket], ['closed', false], ['closed_at', null]], [['pack_id', c.packId]]));
        break;
      case 'packed':
        out.push(insertSql(dialect, 'pack_cards', PACK_CARD_COLUMNS, [[c.packId, c.card.cardSerial, batchId, c.card.seq, c.slot, at]]));
        break;
      case 'closed':
        out.push(updateSql(dialect, 'packs', [['closed', true], ['remainder', c.remainder], ['manifest_version', c.manifestVersion], ['pocket', null], ['closed_at', at]], [['pack_id', c.packId]]));
        break;
      case 'removed':
        out.push(updateSql(dialect, 'pack_cards', [['removed_at', at], ['removed_reason', c.reason]], [['pack_id', c.packId], ['card_serial', c.cardSerial]]));
        if (c.reopened) out.push(updateSql(dialect, 'packs', [['closed', false], ['remainder', false], ['closed_at', null]], [['pack_id', c.packId]]));
        break;
      case 'dropped':
        out.push(`delete from "pack_cards" where "pack_id" = ${sqlLiteral(c.packId, dialect)}`);
        out.push(`delete from "packs" where "pack_id" = ${sqlLiteral(c.packId, dialect)}`);
        break;
    }
  }
  return out;
}

export class PackStore {
  /** `db` must have the latest schema (openDatabase migrates it). */
  constructor(
    readonly db: Knex,
    readonly lineId: string,
  ) {}

  /** Writes the planner's changes in one transaction, with the audit entry of the action that caused them. */
  async apply(batchId: string, changes: readonly PackChange[], audit?: AuditInput): Promise<void> {
    await this.db.transaction(async (trx) => {
      await writePackChanges(trx, this.lineId, batchId, changes);
      if (audit) await appendAudit(trx, audit);
    });
  }

  /**
   * Records of `office` in a batch that will still bring a card to the packer: not ended, and with
   * no card in a pack now (what the planner calls pending).
   */
  async pendingOfOffice(batchId: string, office: string): Promise<number> {
    const offices = await this.recordOffices(batchId);
    const open: { seq: number | string }[] = await this.db('records').where({ batch_id: batchId }).whereIn('status', ['queued', 'in-line']).select('seq');
    const packed = new Set((await this.db<PackCardRow>('pack_cards').where({ batch_id: batchId }).whereNull('removed_at').select('seq')).map((r) => Number(r.seq)));
    return open.filter((r) => offices.get(Number(r.seq)) === office && !packed.has(Number(r.seq))).length;
  }

  /** The packs of a batch in the order they were opened, with the cards in them now. */
  async packs(batchId: string): Promise<PackState[]> {
    const rows: PackRow[] = await this.db<PackRow>('packs').where({ batch_id: batchId }).orderBy('pack_no');
    const cards: PackCardRow[] = await this.db<PackCardRow>('pack_cards').where({ batch_id: batchId }).whereNull('removed_at').orderBy([{ column: 'pack_id' }, { column: 'slot' }]);
    const byPack = new Map<string, PackCard[]>();
    for (const c of cards) {
      const list = byPack.get(c.pack_id) ?? [];
      list.push({ cardSerial: c.card_serial, seq: Number(c.seq) });
      byPack.set(c.pack_id, list);
    }
    return rows.map((r) => rowToPack(r, byPack.get(r.pack_id) ?? []));
  }

  /** One pack with the cards in it and those taken out, or undefined when there is no such pack. */
  async pack(packId: string): Promise<PackDetail | undefined> {
    const row = await this.db<PackRow>('packs').where({ pack_id: packId }).first();
    if (!row) return undefined;
    const cards: PackCardRow[] = await this.db<PackCardRow>('pack_cards').where({ pack_id: packId }).orderBy('slot');
    const toCard = (c: PackCardRow): PackCard => ({ cardSerial: c.card_serial, seq: Number(c.seq) });
    return {
      ...rowToPack(row, cards.filter((c) => c.removed_at === null).map(toCard)),
      lineId: row.line_id,
      removed: cards.filter((c) => c.removed_at !== null).map((c) => ({ ...toCard(c), reason: c.removed_reason })),
    };
  }

  /** The pack a card lies in now, if any. */
  async packOfCard(cardSerial: string): Promise<string | undefined> {
    const row = await this.db<PackCardRow>('pack_cards').where({ card_serial: cardSerial }).whereNull('removed_at').first('pack_id');
    return row?.pack_id;
  }

  /** Each record's delivery office; records imported before offices existed are `UNSORTED`. */
  async recordOffices(batchId: string): Promise<Map<number, string>> {
    const rows: { seq: number | string; delivery_office: string | null }[] = await this.db('records').where({ batch_id: batchId }).select('seq', 'delivery_office');
    return new Map(rows.map((r) => [Number(r.seq), r.delivery_office ?? UNSORTED]));
  }
}

function rowToPack(r: PackRow, cards: PackCard[]): PackState {
  return {
    packId: r.pack_id,
    batchId: r.batch_id,
    office: r.office,
    packNo: Number(r.pack_no),
    cards,
    pocket: r.pocket === null ? null : Number(r.pocket),
    closed: Boolean(r.closed),
    remainder: Boolean(r.remainder),
    manifestVersion: Number(r.manifest_version),
  };
}

/** Writes the planner's changes inside a transaction the caller holds (with the change that caused them). */
export async function writePackChanges(trx: Knex.Transaction, lineId: string, batchId: string, changes: readonly PackChange[]): Promise<void> {
  const dialect = dialectOf(trx);
  const statements = packChangeStatements(dialect, lineId, batchId, changes, new Date().toISOString());
  if (statements.length === 0) return;
  // As the line journal writes them (runStatements: literals written without `?`, one statement a call on SQLite).
  await runStatements(trx, dialect, statements);
}
