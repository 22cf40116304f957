// The migrations, in order. Listed by hand rather than discovered: knex cannot load .ts files from a
// directory by itself under every runner (tsx, vitest, a bundle), and static imports are type-checked.
// db.test.ts fails if a timestamped file in this folder is missing here.
import type { Knex } from 'knex';
import * as initial from './20261127120000_initial.ts';
import * as lineControl from './20261127160000_line_control.ts';
import * as lineWritePages from './20261127210000_line_write_pages.ts';
import * as lineLeases from './20261127220000_line_leases.ts';
import * as lineLeasePidStarted from './20261128000000_line_lease_pid_started.ts';
import * as storeKeysAuditChain from './20261207120000_store_keys_audit_chain.ts';
import * as users from './20261207130000_users.ts';
import * as deliveryPacks from './20261207170000_delivery_packs.ts';
import * as lineQueue from './20261207180000_line_queue.ts';
import * as alarms from './20261207180100_alarms.ts';
import * as apiSessions from './20261207180200_api_sessions.ts';
import * as userMustChangePassword from './20261207183000_user_must_change_password.ts';
import * as lineRetention from './20261207183100_line_retention.ts';
import * as jobIdBlocks from './20261207183200_job_id_blocks.ts';
import * as userLocale from './20261207204500_user_locale.ts';
import * as kpiPeriodIndexes from './20261207210756_kpi_period_indexes.ts';

export interface StoreMigration {
  /** The file name without extension; it is what knex records in knex_migrations. */
  readonly name: string;
  readonly migration: Knex.Migration;
}

export const MIGRATIONS: readonly StoreMigration[] = [
  { name: '20261127120000_initial', migration: initial },
  { name: '20261127160000_line_control', migration: lineControl },
  { name: '20261127210000_line_write_pages', migration: lineWritePages },
  { name: '20261127220000_line_leases', migration: lineLeases },
  { name: '20261128000000_line_lease_pid_started', migration: lineLeasePidStarted },
  { name: '20261207120000_store_keys_audit_chain', migration: storeKeysAuditChain },
  { name: '20261207130000_users', migration: users },
  { name: '20261207170000_delivery_packs', migration: deliveryPacks },
  { name: '20261207180000_line_queue', migration: lineQueue },
  { name: '20261207180100_alarms', migration: alarms },
  { name: '20261207180200_api_sessions', migration: apiSessions },
  { name: '20261207183000_user_must_change_password', migration: userMustChangePassword },
  { name: '20261207183100_line_retention', migration: lineRetention },
  { name: '20261207183200_job_id_blocks', migration: jobIdBlocks },
  { name: '20261207204500_user_locale', migration: userLocale },
  { name: '20261207210756_kpi_period_indexes', migration: kpiPeriodIndexes },
];
