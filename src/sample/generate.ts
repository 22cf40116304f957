/**
 * `cardline sample`'s engine: a deterministic synthetic batch of Vietnamese citizens.
 * sampleRecords (records.ts) draws the records, pure and fast; writeSample (write-sample.ts) writes
 * batch.jsonl and the portraits (portrait.ts). This module is the entry point the CLI imports.
 */
export {
  AGE_GROUPS,
  BORN_ABROAD_SHARE,
  DEFAULT_ISSUE_FROM,
  DEFAULT_ISSUE_TO,
  sampleRecords,
  type SampleOptions,
  type SampleRecord,
} from './records.ts';
export { writeSample, type WriteSampleOptions, type WriteSampleResult } from './write-sample.ts';
export { drawPortrait, type PortraitOptions } from './portrait.ts';
