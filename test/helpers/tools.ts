/**
 * Real-tool tests run the consumers themselves (cloud-init, containerd, shellcheck, ...).
 * A test whose tool is missing is reported as skipped (vitest counts it under "skipped"), never
 * as passed; under CI=true, where .ci/run installs every tool, a missing tool fails the test.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** The part of vitest's test context that can skip the running test. */
export interface Skippable {
  skip: (note?: string) => void;
}

const underCi = () => process.env.CI === 'true';

/**
 * Inside a test: returns when every `cmd:debPackage` is on PATH; otherwise skips the test with a
 * note naming what is missing (reported as skipped), or fails it under CI=true.
 */
export function needTools(ctx: Skippable, ...tools: readonly `${string}:${string}`[]): void {
  const missing = tools.filter((t) => !hasTool(t.slice(0, t.indexOf(':'))));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => t.slice(t.indexOf(':') + 1)))];
  const msg = `needs ${missing.map((t) => `'${t.slice(0, t.indexOf(':'))}'`).join(', ')} (apt-get install -y ${pkgs.join(' ')})`;
  if (underCi()) throw new Error(`real-tool test ${msg}`);
  ctx.skip(msg);
}

/** Inside a test: returns as root; otherwise skips the test (fails it under CI=true). */
export function needRoot(ctx: Skippable, what: string): void {
  if (process.getuid?.() === 0) return;
  const msg = `${what} needs root (mount and network namespaces)`;
  if (underCi()) throw new Error(msg);
  ctx.skip(msg);
}

/**
 * @deprecated use needTools(ctx, ...) inside the test: a `return` on false counts the test as
 * passed. Kept until every caller is converted.
 */
export function requireTool(cmd: string, debPackage: string): boolean {
  if (hasTool(cmd)) return true;
  const msg = `real-tool test needs '${cmd}' (Debian package ${debPackage}); install it with apt-get install -y ${debPackage}`;
  if (underCi()) throw new Error(msg);
  console.warn(`WARNING: skipping: ${msg}`);
  return false;
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

/** @deprecated use needRoot(ctx, what) inside the test. */
export function requireRoot(what: string): boolean {
  if (process.getuid?.() === 0) return true;
  const msg = `${what} needs root (mount and network namespaces)`;
  if (underCi()) throw new Error(msg);
  console.warn(`WARNING: skipping: ${msg}`);
  return false;
}
