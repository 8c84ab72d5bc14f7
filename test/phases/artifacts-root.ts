/**
 * A throw-away root for the artifacts phase, and a bundle the test makes itself.
 *
 * Why namespaces and overlays, not a root-prefix variable: the phase script runs unchanged, with
 * the node's real paths (/usr/local/bin, /etc/systemd/system, /var/lib/dpkg), so the test checks
 * the script a node runs, not a test-only variant of it. `unshare --mount` gives the run its own
 * mount table: /usr, /etc, /opt and /var are overlays whose lower layer is this machine's (real
 * bash, coreutils, tar, sha256sum, dpkg) and whose upper layer is a temporary directory, /run is
 * and /tmp are fresh tmpfs, and / is then remounted read-only, so a write anywhere else fails instead of
 * touching this machine. What the phase changed is exactly what lands in the upper directories.
 *
 * Real: bash, tar, gzip, sha256sum, cmp, install, dpkg-deb and dpkg (installing a .deb the test
 * builds into the overlay's copy of the dpkg database).
 * Faked: apt-get (records packages as installed without a network), systemctl (a script that keeps unit state in files and, on `start containerd`, makes the
 * CRI socket as containerd would) and ctr (shipped inside the test's containerd archive; it logs
 * the image files it is asked to import). The VM test exercises the real ones.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { NodeFile } from '../../src/render/files.js';
import { run, type RunResult } from '../helpers/tools.js';

export const LAYERS = ['usr', 'etc', 'opt', 'var'] as const;

export const sha256Of = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

const SYSTEMCTL = `#!/bin/sh
# Test stand-in for systemctl: unit state lives in files under /var/lib/fake-systemd.
echo "systemctl $*" >>/var/log/fake-calls.log
d=/var/lib/fake-systemd
mkdir -p "$d"
[ "$1" = --quiet ] && shift
case $1 in
  daemon-reload) ;;
  is-enabled) [ -f "$d/enabled-$3" ] || [ -f "$d/enabled-$2" ] ;;
  # containerd is active while its socket exists: /run is new on every run, as after a reboot.
  is-active) if [ "$2" = containerd ] || [ "$3" = containerd ]; then [ -S /run/containerd/containerd.sock ]; else [ -f "$d/active-$3" ] || [ -f "$d/active-$2" ]; fi ;;
  enable) touch "$d/enabled-$2" ;;
  start)
    touch "$d/active-$2"
    if [ "$2" = containerd ]; then
      mkdir -p /run/containerd
      python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("/run/containerd/containerd.sock")'
    fi ;;
  *) exit 1 ;;
esac
`;

// Test stand-in for apt-get (no network here): `install` records each package in the root's copy
// of the dpkg database, so dpkg-query sees it installed afterwards.
const APT_GET = `#!/bin/sh
echo "apt-get $*" >>/var/log/fake-calls.log
[ "$1" = install ] || exit 0
for a in "$@"; do
  case $a in install | -*) ;; *) printf 'Package: %s\\nStatus: install ok installed\\nArchitecture: all\\nVersion: 1.0\\nMaintainer: test\\nDescription: test\\n\\n' "$a" >>/var/lib/dpkg/status ;; esac
done
`;

export interface Root {
  readonly dir: string;
  upper(layer: (typeof LAYERS)[number]): string;
  /** Path of a node path inside the upper layers (what the run wrote there). */
  host(path: string): string;
}

export function makeRoot(): Root {
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-artifacts-root-'));
  for (const l of LAYERS) mkdirSync(join(dir, 'upper', l), { recursive: true });
  for (const l of LAYERS) mkdirSync(join(dir, 'work', l), { recursive: true });
  const root: Root = {
    dir,
    upper: (l) => join(dir, 'upper', l),
    host: (p) => join(dir, 'upper', p.replace(/^\//, '')),
  };
  putFile(root, '/opt/fake/bin/systemctl', SYSTEMCTL, 0o755);
  putFile(root, '/opt/fake/bin/apt-get', APT_GET, 0o755);
  return root;
}

/** Puts a file into the root before a run (into the upper layer of its top directory). */
export function putFile(root: Root, path: string, content: string | Uint8Array, mode = 0o644): void {
  const top = path.split('/')[1] as (typeof LAYERS)[number];
  if (!LAYERS.includes(top)) throw new Error(`test root: ${path} is outside ${LAYERS.join(', ')}`);
  const p = root.host(path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  chmodSync(p, mode);
}

export function putNodeFiles(root: Root, files: readonly NodeFile[]): void {
  for (const f of files) putFile(root, f.path, f.content, f.mode);
}

function rootCommand(root: Root, script: string): string[] {
  const mounts = LAYERS.map((l) =>
    `mount -t overlay overlay -o lowerdir=/${l},upperdir=${root.upper(l)},workdir=${join(root.dir, 'work', l)} /${l}`).join(' && ');
  const setup = [
    'set -e',
    'mount --make-rprivate /',
    mounts,
    'mount -t tmpfs tmpfs /run',
    'mount -t tmpfs tmpfs /tmp',
    'mount -o remount,bind,ro /',
    'set +e',
    `KS_PHASE=artifacts PATH=/opt/fake/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash --norc --noprofile ${script}`,
  ].join('\n');
  return ['--mount', '--pid', '--fork', 'bash', '--norc', '--noprofile', '-c', setup];
}

const ROOT_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };

/** Runs `bash SCRIPT` inside the root as the first-boot runner would (KS_PHASE set). */
export function runInRoot(root: Root, script: string): RunResult {
  return run('unshare', rootCommand(root, script), { env: ROOT_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** runInRoot without blocking the event loop, for tests that serve files from this process. */
export function runInRootAsync(root: Root, script: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', rootCommand(root, script), { env: ROOT_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** path → "mode sha256" of every regular file and symlink under the upper layers, for before/after comparisons. */
export function snapshot(root: Root, skip: (path: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs)) {
      const a = join(abs, name);
      const r = `${rel}/${name}`;
      if (skip(r)) continue;
      const st = lstatSync(a);
      if (st.isDirectory()) walk(a, r);
      else if (st.isFile()) out.set(r, `${(st.mode & 0o7777).toString(8)} ${sha256Of(readFileSync(a))} ${st.mtimeMs}`);
      else out.set(r, `other ${(st.mode & 0o7777).toString(8)}`);
    }
  };
  for (const l of LAYERS) if (existsSync(root.upper(l))) walk(root.upper(l), `/${l}`);
  return out;
}

/** A .deb built with dpkg-deb holding one file, for the bundle's OS package entry. */
export function buildDeb(dir: string, pkg: string, version: string, file: string, content: string): string {
  const tree = join(dir, `${pkg}-tree`);
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  writeFileSync(join(tree, 'DEBIAN', 'control'), [
    `Package: ${pkg}`, `Version: ${version}`, 'Architecture: all', 'Maintainer: kubeseed tests <dev@kubeseed.invalid>',
    'Description: test package made by the kubeseed artifacts phase test', '',
  ].join('\n'));
  mkdirSync(dirname(join(tree, file)), { recursive: true });
  writeFileSync(join(tree, file), content);
  const out = join(dir, `${pkg}_${version}_all.deb`);
  const r = run('dpkg-deb', ['--root-owner-group', '--build', tree, out]);
  if (r.status !== 0) throw new Error(`dpkg-deb: ${r.stderr}`);
  return out;
}

/** A gzip'd tar of `files` (relative path → content, mode), made with the system tar. */
export function buildTgz(dir: string, name: string, files: Readonly<Record<string, [string, number]>>): string {
  const tree = join(dir, `${name}-tree`);
  for (const [rel, [content, mode]] of Object.entries(files)) {
    const p = join(tree, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    chmodSync(p, mode);
  }
  const out = join(dir, name);
  const r = run('tar', ['-czf', out, '--owner=0', '--group=0', '--sort=name', '--mtime=@0', '-C', tree, ...Object.keys(files).sort()]);
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  return out;
}
