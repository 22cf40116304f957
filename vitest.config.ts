import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The 1,000-record end-to-end runs (`*-e2e.test.ts`, over two minutes each) start first, so they
 * run beside the many short files instead of ending the run alone. The rest keep vitest's order
 * (longest first by its cache of past runs; without one, largest file first).
 */
class EndToEndFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const e2e = (spec: TestSpecification) => spec.moduleId.endsWith('-e2e.test.ts');
    return [...sorted.filter(e2e), ...sorted.filter((spec) => !e2e(spec))];
  }
}

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'machines/**/*.test.ts', 'simulators/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // vitest's default is one worker less than the CPUs: on the 2-core CI machine that is ONE, and
    // the files ran one after another. Most of their time is waiting (simulated line time, sockets,
    // the `cardline` processes they start, which run beside their test): 4 small files took 56 s of
    // CPU in 191 s with one worker, and 143 s with three (same CPU; measured on a loaded machine).
    maxWorkers: 3,
    sequence: { sequencer: EndToEndFirst },
  },
});
