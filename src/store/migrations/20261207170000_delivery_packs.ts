// Delivery packs (issue 14, the packer station): each record's delivery office, resolved once by the
// importer and kept in clear (an office is no personal data, and the line sorts by it); the packs a
// packer makes, and which card lies in which pack. A card removed from a pack (an inspector rejected
// it) keeps its row with the time and reason of removal, so a reissued manifest can say what changed.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('records', (t) => {
    // Null for records imported before delivery offices existed: the line packs them as UNSORTED.
    t.string('delivery_office', 100).nullable();
  });

  await knex.schema.createTable('packs', (t) => {
    // `<batch id>-P<4-digit number>`: what the Code 128 label carries.
    t.string('pack_id', 40).primary();
    t.string('batch_id', 32).notNullable().references('id').inTable('batches');
    t.string('line_id', 64).notNullable();
    t.string('office', 100).notNullable();
    // 1, 2, … within the batch, in the order the packs were opened.
    t.integer('pack_no').notNullable();
    // The packer pocket the pack occupies while open in the machine; null once out of it.
    t.integer('pocket').nullable();
    t.boolean('closed').notNullable().defaultTo(false);
    // Closed early because its pocket was needed for another office.
    t.boolean('remainder').notNullable().defaultTo(false);
    // Manifests issued so far: 1 at the first close, one more at each re-close after a card was removed.
    t.integer('manifest_version').notNullable().defaultTo(0);
    t.timestamp('opened_at', { useTz: true }).notNullable();
    t.timestamp('closed_at', { useTz: true }).nullable();
    t.unique(['batch_id', 'pack_no'], { indexName: 'packs_batch_no_uq' });
    t.index(['batch_id', 'office'], 'packs_batch_office_idx');
  });

  await knex.schema.createTable('pack_cards', (t) => {
    t.string('pack_id', 40).notNullable().references('pack_id').inTable('packs');
    t.string('card_serial', 32).notNullable();
    t.string('batch_id', 32).notNullable();
    // The record's sequence number in its batch (the manifest lists it).
    t.integer('seq').notNullable();
    // 1, 2, … in the order the cards went into the pack.
    t.integer('slot').notNullable();
    t.timestamp('packed_at', { useTz: true }).notNullable();
    t.timestamp('removed_at', { useTz: true }).nullable();
    t.string('removed_reason', 64).nullable();
    t.primary(['pack_id', 'card_serial']);
    t.index(['card_serial'], 'pack_cards_card_idx');
  });
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the delivery-packs migration is not reversible'));
}
