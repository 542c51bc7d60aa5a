import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration and e2e files each make their own database and Redis prefix, so files run in parallel.
    fileParallelism: true,
  },
});
