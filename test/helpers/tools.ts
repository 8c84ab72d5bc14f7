/**
 * Real-tool tests run the consumers themselves (cloud-init, containerd, shellcheck, ...).
 * A test whose tool is missing is reported as skipped (vitest counts it under "skipped"), never
 * as passed; under CI=true, where .ci/run installs every tool, a missing tool fails the test.
 * Call these at the top of a test body, or in a beforeEach for a whole describe block: a check
 * made once when the file loads would skip silently, outside any test.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test was skipped: scripts/test.sh prints it beside the test's name. */
    skipNote?: string;
  }
}

export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** The part of vitest's test context that can skip the running test. */
export interface Skippable {
  skip: (note?: string) => void;
  readonly task?: { readonly meta: { skipNote?: string } };
}

const underCi = () => process.env.CI === 'true';

/**
 * Inside a test: returns when `present`; otherwise skips the test with `missing` as its note
 * (reported as skipped, the note kept in the JSON report), or fails it under CI=true.
 */
export function needPrerequisite(ctx: Skippable, present: boolean, missing: string): void {
  if (present) return;
  if (underCi()) throw new Error(`test needs ${missing}`);
  if (ctx.task) ctx.task.meta.skipNote = `needs ${missing}`;
  ctx.skip(`needs ${missing}`);
}

/**
 * Inside a test: returns when every `cmd:debPackage` is on PATH; otherwise skips the test with a
 * note naming what is missing (reported as skipped), or fails it under CI=true.
 */
export function needTools(ctx: Skippable, ...tools: readonly `${string}:${string}`[]): void {
  const missing = tools.filter((t) => !hasTool(t.slice(0, t.indexOf(':'))));
  const pkgs = [...new Set(missing.map((t) => t.slice(t.indexOf(':') + 1)))];
  needPrerequisite(ctx, missing.length === 0, `${missing.map((t) => `'${t.slice(0, t.indexOf(':'))}'`).join(', ')} (apt-get install -y ${pkgs.join(' ')})`);
}

/** Inside a test: returns as root; otherwise skips the test (fails it under CI=true). */
export function needRoot(ctx: Skippable, what: string): void {
  needPrerequisite(ctx, process.getuid?.() === 0, `root: ${what} (mount and network namespaces)`);
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
