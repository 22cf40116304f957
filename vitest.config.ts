import { defineConfig } from 'vitest/config';

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
  },
});
