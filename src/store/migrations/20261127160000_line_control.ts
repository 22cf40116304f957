// Line control: the physical cards and their events, the spoil log, blank-stock loads, job-id
// allocation per line, machine snapshots, and each record's progress on the line. Nothing personal
// is stored here: cards are known by serial, records by batch and seq, reasons by code.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('records', (t) => {
    // Cards used for the record so far; the record fails when it reaches the maximum.
    t.integer('attempts').notNullable().defaultTo(0);
    // The good card in the stacker (status produced).
    t.string('card_serial', 32).nullable();
    t.integer('position').nullable();
    // JSON: the reason of every rejected attempt ({attempt, cardSerial, station, code}).
    t.text('reasons').nullable();
    // The record's card machine, persisted at stable states (queued, produced, failed, cancelled).
    t.text('machine').nullable();
    t.timestamp('ended_at', { useTz: true }).nullable();
  });

  await knex.schema.createTable('cards', (t) => {
    // One row per blank that entered the line.
    t.string('card_serial', 32).primary();
    t.string('line_id', 64).notNullable();
    t.string('batch_id', 32).notNullable().references('id').inTable('batches');
    t.integer('seq').notNullable();
    t.integer('attempt').notNullable();
    // in-line, good (stacked), spoiled (reject bin)
    t.string('status', 16).notNullable();
    // The unit that last had the card.
    t.string('unit', 32).nullable();
    // The card's outcome is unknown after a lost job or a controller restart: it is never stacked.
    t.boolean('suspect').notNullable().defaultTo(false);
    t.integer('position').nullable();
    t.string('reason', 64).nullable();
    t.timestamp('fed_at', { useTz: true }).notNullable();
    t.timestamp('ended_at', { useTz: true }).nullable();
    t.index(['batch_id', 'status'], 'cards_batch_status_idx');
    t.index(['line_id', 'status'], 'cards_line_status_idx');
  });

  await knex.schema.createTable('card_events', (t) => {
    t.increments('id').primary();
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('line_id', 64).notNullable();
    t.string('batch_id', 32).nullable();
    t.integer('seq').nullable();
    t.integer('attempt').nullable();
    t.string('card_serial', 32).nullable();
    t.string('unit', 32).nullable();
    t.string('event', 48).notNullable();
    t.string('reason', 64).nullable();
    // Non-personal detail: result codes, job ids, positions.
    t.text('detail').nullable();
    t.index(['batch_id', 'seq'], 'card_events_record_idx');
    t.index(['card_serial'], 'card_events_card_idx');
  });

  await knex.schema.createTable('station_events', (t) => {
    t.increments('id').primary();
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('line_id', 64).notNullable();
    t.string('unit', 32).notNullable();
    t.string('event', 48).notNullable();
    t.text('detail').nullable();
  });

  await knex.schema.createTable('spoil_log', (t) => {
    t.increments('id').primary();
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('line_id', 64).notNullable();
    t.string('batch_id', 32).nullable();
    t.string('card_serial', 32).notNullable();
    t.string('reason', 64).notNullable();
    t.string('unit', 32).nullable();
    t.index(['batch_id'], 'spoil_log_batch_idx');
  });

  await knex.schema.createTable('stock_loads', (t) => {
    t.increments('id').primary();
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('line_id', 64).notNullable();
    t.string('lot', 64).notNullable();
    t.integer('count').notNullable();
    t.string('actor', 128).notNullable();
  });

  await knex.schema.createTable('line_state', (t) => {
    t.string('line_id', 64).primary();
    // Job ids are never reused on a line: allocated in blocks from here.
    t.bigInteger('next_job_id').notNullable();
    t.string('batch_id', 32).nullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('snapshots', (t) => {
    // e.g. `line:<line id>`, `batch:<batch id>`
    t.string('key', 128).primary();
    t.integer('version').notNullable();
    t.text('state').notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
  });
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the line-control migration is not reversible: it holds the card accountability of released batches'));
}
