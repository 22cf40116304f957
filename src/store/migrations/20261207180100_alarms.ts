// Alarms (issue 16, ISA-18.2): one row an alarm with its current state, and its history — every state
// it went through, when, and who acknowledged it. Alarms name lines, units and conditions, never
// personal data. Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('alarms', (t) => {
    t.string('alarm_id', 40).primary();
    t.string('line_id', 64).notNullable();
    // Null for an alarm of the whole line.
    t.string('unit_id', 64).nullable();
    // What raised it: 'station.held', 'station.offline', 'heartbeat.stale', …
    t.string('condition', 64).notNullable();
    t.string('message', 300).notNullable();
    t.string('priority', 16).notNullable();
    // active-unacknowledged, active-acknowledged, cleared-unacknowledged, cleared
    t.string('state', 32).notNullable();
    t.timestamp('raised_at', { useTz: true }).notNullable();
    t.timestamp('cleared_at', { useTz: true }).nullable();
    t.timestamp('acknowledged_at', { useTz: true }).nullable();
    t.string('acknowledged_by', 100).nullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['line_id', 'state'], 'alarms_line_state_idx');
    t.index(['raised_at'], 'alarms_raised_idx');
  });

  await knex.schema.createTable('alarm_history', (t) => {
    t.increments('id').primary();
    t.string('alarm_id', 40).notNullable().references('alarm_id').inTable('alarms');
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('state', 32).notNullable();
    // Who acknowledged; null for the changes the condition made.
    t.string('actor', 100).nullable();
    t.index(['alarm_id'], 'alarm_history_alarm_idx');
  });
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the alarms migration is not reversible'));
}
