import { defineConfig } from 'vitest/config';

// Two cores: run at most two test files at once. Files that need PostgreSQL get their own
// database cloned from a migrated template (see test/global-setup.ts).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
