/**
 * Every output file that carries a secret is 0600 and every directory above it up to OUT/ is
 * 0700, whatever OUT/ was before (here an existing 0755 directory) and wherever the state lives
 * (here elsewhere, so nothing makes OUT/ private by accident), in the current tree and in the
 * .previous tree a re-compile keeps; and manifest.json gives each file's real mode.
 *
 * Which files carry a secret is found by their contents, not taken from kubeseed: the bootstrap
 * token or a PEM "PRIVATE KEY" anywhere in a file, in the files on each seed ISO (extracted with
 * xorriso, modes included), inside gzip, and inside base64 runs (guestinfo values, the
 * kubeconfig's client-key-data, user-data's b64 files), decoded as deep as they nest.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_PROFILES } from '../builders/plan.js';
import { cli } from '../helpers/cli.js';
import { needTools, run } from '../helpers/tools.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const mode = (path: string): number => lstatSync(path).mode & 0o7777;
const octal = (m: number): string => `0${m.toString(8)}`;

/** The bytes themselves, gunzipped if gzip, and every base64 run of 40+ characters decoded, recursively. */
function views(bytes: Buffer, depth = 0): Buffer[] {
  const out = [bytes];
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      out.push(...views(gunzipSync(bytes), depth + 1));
    } catch {
      // not gzip after all
    }
  }
  if (depth < 3) {
    for (const m of bytes.toString('latin1').matchAll(/[A-Za-z0-9+/]{40,}={0,2}/g)) out.push(...views(Buffer.from(m[0], 'base64'), depth + 1));
  }
  return out;
}

function carriesSecret(bytes: Buffer, token: string): boolean {
  return views(bytes).some((v) => v.includes(token) || v.includes('PRIVATE KEY'));
}

/** Every regular file below dir, relative path → absolute path. */
function files(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else found.set(relative(dir, p), p);
    }
  };
  walk(dir);
  return found;
}

interface Finding {
  readonly path: string;
  readonly secret: boolean;
  readonly mode: number;
}

/** Every file of a tree with whether it carries a secret; seed ISOs are opened and their files listed as ISO!path. */
function survey(tree: string, token: string, scratch: string): Finding[] {
  const out: Finding[] = [];
  for (const [rel, abs] of files(tree)) {
    const bytes = readFileSync(abs);
    out.push({ path: rel, secret: carriesSecret(bytes, token), mode: mode(abs) });
    if (rel.endsWith('.iso')) {
      const x = join(scratch, rel);
      const r = run('xorriso', ['-osirrox', 'on', '-indev', abs, '-extract', '/', x]);
      if (r.status !== 0) throw new Error(`xorriso could not extract ${abs}: ${r.stderr}`);
      for (const [inner, p] of files(x)) out.push({ path: `${rel}!${inner}`, secret: carriesSecret(readFileSync(p), token), mode: mode(p) });
    }
  }
  return out;
}

describe.each(EXAMPLE_PROFILES)('%s compiled with --iso --gzip --platform vsphere into an existing 0755 out/, state elsewhere', (profile) => {
  it('every file that carries the token or a private key is 0600, its directories 0700, in both trees; the manifest gives the real modes', async (ctx) => {
    needTools(ctx, 'xorriso:xorriso');
    const root = mkdtempSync(join(tmpdir(), 'kubeseed-modes-'));
    roots.push(root);
    const out = join(root, 'out');
    mkdirSync(out);
    chmodSync(out, 0o755);
    const stateDir = join(root, 'elsewhere', 'state');
    const args = ['compile', profile, '--out', out, '--state', stateDir, '--iso', '--gzip', '--platform', 'vsphere'];
    // Twice, so that there is a .previous tree; the second compile starts from the first's.
    for (let i = 0; i < 2; i++) {
      const r = await cli(...args);
      expect(r.code, r.err).toBe(0);
    }
    const cluster = readdirSync(out).find((n) => !n.startsWith('.'))!;
    expect(readdirSync(out).sort()).toEqual([`.${cluster}.previous`, cluster]);
    expect(mode(out)).toBe(0o755);
    const token = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')).bootstrapToken.token as string;

    for (const name of [cluster, `.${cluster}.previous`]) {
      const tree = join(out, name);
      const found = survey(tree, token, join(root, 'extract', name));
      const secret = found.filter((f) => f.secret);
      // What must be among them, so that a search that finds nothing cannot pass.
      const nodes = readdirSync(join(tree, 'nodes'));
      const expected = ['admin.conf', ...nodes.flatMap((n) => ['user-data', 'user-data.gz', 'guestinfo.userdata.gzip+base64', 'seed.iso'].map((f) => `nodes/${n}/${f}`))];
      expect(expected.filter((p) => !secret.some((f) => f.path === p)), `${name}: files expected to carry a secret`).toEqual([]);
      // Where the secrets are not: meta-data, network-config, their guestinfo, and the ISO's user-data.
      const clean = nodes.flatMap((n) => ['meta-data', 'network-config', 'guestinfo.metadata.base64', 'seed.iso!user-data'].map((f) => `nodes/${n}/${f}`));
      expect(found.filter((f) => clean.includes(f.path) && f.secret).map((f) => f.path), `${name}: files that must carry none`).toEqual([]);

      expect(secret.filter((f) => f.mode !== 0o600).map((f) => `${f.path} ${octal(f.mode)}`), `${name}: secret files not 0600`).toEqual([]);
      const dirs = new Set<string>();
      for (const f of secret.filter((x) => !x.path.includes('!'))) {
        for (let d = join(tree, f.path, '..'); d.startsWith(tree); d = join(d, '..')) dirs.add(d);
      }
      expect([...dirs].filter((d) => mode(d) !== 0o700).map((d) => `${relative(out, d)} ${octal(mode(d))}`), `${name}: directories above secrets not 0700`).toEqual([]);

      const manifest = JSON.parse(readFileSync(join(tree, 'manifest.json'), 'utf8')) as { files: { path: string; mode: string }[] };
      const onDisk = found.filter((f) => !f.path.includes('!') && f.path !== 'manifest.json').map((f) => `${f.path} ${octal(f.mode)}`).sort();
      expect(manifest.files.map((f) => `${f.path} ${f.mode}`).sort(), `${name}: manifest modes`).toEqual(onDisk);
    }
  });
});
