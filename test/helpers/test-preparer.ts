/**
 * Light data preparation for line-controller tests that are not about the chip or the card
 * layout: the one the capacity simulation's line fidelity uses (simulators/virtual/line-jobs.ts),
 * under the names the tests know. The product's preparer (src/line/prepare.ts) renders the card and
 * signs the LDS instead.
 */
export { LightPreparer as TestPreparer, lightJudge as testJudge, recordMrz } from '../../simulators/virtual/line-jobs.ts';
