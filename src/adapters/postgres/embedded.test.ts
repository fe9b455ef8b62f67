import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('loading the embedded PostgreSQL adapter', () => {
  it('keeps the exit code a process set (a failed test run must not exit 0)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "await import('./src/adapters/postgres/embedded.ts'); process.exitCode = 3;"], {
      cwd: process.cwd(), encoding: 'utf8', timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
  });
});
