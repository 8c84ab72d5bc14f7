/**
 * Real-tool tests run the consumers themselves (cloud-init, containerd, shellcheck, ...).
 * A missing tool is said loudly; under CI=true it fails the test, never a silent skip.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Throws under CI when the tool is missing; elsewhere returns false after a loud warning. */
export function requireTool(cmd: string, debPackage: string): boolean {
  if (hasTool(cmd)) return true;
  const msg = `real-tool test needs '${cmd}' (Debian package ${debPackage}); install it with apt-get install -y ${debPackage}`;
  if (process.env.CI === 'true') throw new Error(msg);
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

/** Tests that need root (namespaces, mounts): false with a loud warning, a failure under CI=true. */
export function requireRoot(what: string): boolean {
  if (process.getuid?.() === 0) return true;
  const msg = `${what} needs root (mount and network namespaces)`;
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`WARNING: skipping: ${msg}`);
  return false;
}
