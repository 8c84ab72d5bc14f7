/**
 * The bundle's OS packages gatherer: resolves the plan's package names with their dependency
 * closure against the release's signed repository metadata (src/ospkg/), then brings every
 * .deb/.rpm into the content-addressed cache, checked against the sha256 the signed index gives.
 * Files come from the --from directory (what `apt-get download` / `dnf download --resolve`
 * saved), the cache, or the mirror, in that order; metadata from --os-mirror (a URL or a
 * directory holding a mirror's layout), else from the --from directory laid out like a mirror.
 */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join, resolve as resolvePath } from 'node:path';
import type { Artifact } from '../../plan/artifacts.js';
import type { OsPackagePlan } from '../../plan/os-packages.js';
import { readKeyring, RepositoryError, resolveOsPackages, type OsPackageFile, type OsPackageResolution, type RepoSource } from '../../ospkg/index.js';
import { ContentStore } from '../../oci/content-store.js';
import { isFile } from '../file-size.js';
import { makeOutputDir } from '../make-dir.js';
import { DigestMismatchError, sha256File } from './digest.js';
import { downloadResumable, HttpStatusError } from './download.js';

export interface PackagesOptions {
  plan: OsPackagePlan;
  /** Mirror root: an http(s) URL or a directory with the mirror's layout. */
  osMirror?: string;
  /** PEM CA trusted for an https mirror. */
  caPem?: string;
  fromDir?: string;
  /** The OpenPGP keyring (binary or armored) the repository metadata must be signed with. */
  keyringFile: string;
  cacheDir: string;
  /** Clock for Valid-Until and key expiry; injected so tests are repeatable. */
  now?: Date;
  download?: { maxAttempts?: number; retryDelayMs?: number; timeoutMs?: number };
  onProgress?: (e: { type: 'resolve' | 'download'; artifact: string; detail: string }) => void;
}

export interface GatheredPackage {
  artifact: Artifact;
  /** Local verified copy. */
  path: string;
  from: 'dir' | 'cache' | 'mirror';
}

export interface GatheredPackages {
  /** In install order: dependencies first. */
  packages: GatheredPackage[];
  resolution: OsPackageResolution;
}

const MAX_METADATA = 64 << 20;

function getSmall(url: string, ca: string | undefined, redirects = 0): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.get(u, { headers: { 'user-agent': 'kubeseed' }, agent: false, ...(ca ? { ca } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects < 5) {
        res.resume();
        getSmall(new URL(res.headers.location, u).toString(), ca, redirects + 1).then(resolve, reject);
        return;
      }
      if (status === 404 || status === 410) {
        res.resume();
        resolve(null);
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new HttpStatusError(url, status));
        return;
      }
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
        if (n > MAX_METADATA) req.destroy(new Error(`GET ${url}: more than ${MAX_METADATA} bytes of metadata`));
        else chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${url}: no data for 30 s`)));
    req.on('error', reject);
  });
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}


const cachedPath = (cacheDir: string, sha256: string): string => new ContentStore(cacheDir).path(`sha256:${sha256}`);
const partialPath = (cacheDir: string, sha256: string): string => new ContentStore(cacheDir).partialPath(`sha256:${sha256}`);

/** Moves a verified file into the cache under its sha256 (a copy when it is the user's own file). */
async function intoCache(cacheDir: string, sha256: string, from: string, move: boolean): Promise<string> {
  const dest = cachedPath(cacheDir, sha256);
  makeOutputDir(join(cacheDir, 'sha256'));
  if (move) await fs.rename(from, dest);
  else {
    const tmp = `${dest}.tmp-${process.pid}`;
    await fs.copyFile(from, tmp);
    await fs.rename(tmp, dest);
  }
  return dest;
}

/** A repository reached over HTTP(S) or as a directory, with fetched files kept in the cache. */
export function repoSource(root: string, o: { cacheDir: string; caPem?: string; download?: PackagesOptions['download']; onDownload?: (path: string) => void }): RepoSource {
  const remote = /^https?:\/\//.test(root);
  const base = remote ? root.replace(/\/+$/, '') : resolvePath(root);
  // Pool file names may hold characters a URL must escape (`%3a` for an epoch's colon, `+`).
  const where = (p: string) => (remote ? `${base}/${p.split('/').map(encodeURIComponent).join('/')}` : join(base, p));
  return {
    where,
    readSmall: (p) => (remote ? getSmall(where(p), o.caPem) : readOrNull(where(p))),
    async fetchVerified(p, sha256, _size) {
      const cached = cachedPath(o.cacheDir, sha256);
      if (await isFile(cached)) return cached;
      if (!remote) {
        if (!(await isFile(where(p)))) return null;
        const h = await sha256File(where(p));
        if (h.sha256 !== sha256) throw new DigestMismatchError(where(p), sha256, h.sha256);
        return intoCache(o.cacheDir, sha256, where(p), false);
      }
      o.onDownload?.(where(p));
      const part = partialPath(o.cacheDir, sha256);
      try {
        await downloadResumable({ url: where(p), dest: part, expectedSha256: sha256, label: where(p), ...(o.caPem ? { ca: o.caPem } : {}), ...o.download });
      } catch (e) {
        if (e instanceof HttpStatusError && (e.status === 404 || e.status === 410)) return null;
        throw e;
      }
      return intoCache(o.cacheDir, sha256, part, true);
    },
  };
}

function artifactOf(f: OsPackageFile, o: PackagesOptions): Artifact {
  const manager = o.plan.repositories.manager;
  return {
    name: `package/${f.name}`,
    kind: 'package',
    version: f.version,
    arch: o.plan.arch,
    url: null,
    checksumUrl: null,
    sha256: f.sha256,
    fileName: f.fileName,
    bundlePath: `packages/${f.fileName}`,
    package: { manager, name: f.name, tool: '' },
    repository: f.repository,
  };
}

/** Looks for a package file the user fetched: by its file name, or at its mirror path. */
async function fromDir(dir: string, f: OsPackageFile): Promise<string | null> {
  const names = [...new Set([f.fileName, ...f.savedAs])];
  for (const candidate of [...names.map((n) => join(dir, n)), join(dir, 'packages', f.fileName), join(dir, f.path)]) {
    if (!(await isFile(candidate))) continue;
    const h = await sha256File(candidate);
    if (h.sha256 !== f.sha256) {
      throw new RepositoryError(`package ${f.name} ${f.version}: ${candidate} has sha256 ${h.sha256}, the signed index says ${f.sha256} (${f.repository})`);
    }
    return candidate;
  }
  return null;
}

export async function resolvePackages(o: PackagesOptions): Promise<OsPackageResolution> {
  const root = o.osMirror ?? o.fromDir;
  if (!root) throw new RepositoryError(`OS packages for ${o.plan.release}: give --os-mirror URL${o.plan.repositories.mirror ? ` (e.g. ${o.plan.repositories.mirror})` : ''} and --keyring FILE, or --skip packages`);
  const keys = await readKeyring(await fs.readFile(o.keyringFile), o.keyringFile);
  const src = repoSource(root, { cacheDir: o.cacheDir, ...(o.caPem ? { caPem: o.caPem } : {}), ...(o.download ? { download: o.download } : {}) });
  const repos = o.plan.repositories.manager === 'apt'
    ? { manager: 'apt' as const, suites: o.plan.repositories.suites }
    : { manager: 'dnf' as const, repos: o.plan.repositories.repos };
  return resolveOsPackages(src, repos, { arch: o.plan.arch, names: o.plan.names, keys, now: o.now ?? new Date() });
}

export async function gatherPackages(o: PackagesOptions): Promise<GatheredPackages> {
  const resolution = await resolvePackages(o);
  const mirror = o.osMirror
    ? repoSource(o.osMirror, {
        cacheDir: o.cacheDir,
        ...(o.caPem ? { caPem: o.caPem } : {}),
        ...(o.download ? { download: o.download } : {}),
      })
    : null;
  const packages: GatheredPackage[] = [];
  const missing: string[] = [];
  for (const f of resolution.files) {
    const label = `package/${f.name}`;
    const local = o.fromDir ? await fromDir(o.fromDir, f) : null;
    if (local) {
      o.onProgress?.({ type: 'resolve', artifact: label, detail: local });
      packages.push({ artifact: artifactOf(f, o), path: local, from: 'dir' });
      continue;
    }
    const cached = cachedPath(o.cacheDir, f.sha256);
    if (await isFile(cached)) {
      packages.push({ artifact: artifactOf(f, o), path: cached, from: 'cache' });
      continue;
    }
    if (mirror) {
      o.onProgress?.({ type: 'download', artifact: label, detail: mirror.where(f.path) });
      let got: string | null;
      try {
        got = await mirror.fetchVerified(f.path, f.sha256, f.size);
      } catch (e) {
        if (e instanceof DigestMismatchError) {
          throw new RepositoryError(`package ${f.name} ${f.version}: ${e.file} has sha256 ${e.actual}, the signed index says ${e.expected} (${f.repository})`);
        }
        throw e;
      }
      if (got) {
        packages.push({ artifact: artifactOf(f, o), path: got, from: 'mirror' });
        continue;
      }
    }
    missing.push(`${f.fileName} (${f.name} ${f.version}${mirror ? `, not at ${mirror.where(f.path)}` : ''})`);
  }
  if (missing.length) {
    const looked = [o.fromDir ? `--from ${o.fromDir}` : null, `cache ${o.cacheDir}`, mirror ? `--os-mirror ${o.osMirror}` : 'no --os-mirror'].filter(Boolean).join(', ');
    throw new RepositoryError(`OS packages not found (${looked}): ${missing.join(', ')}`);
  }
  return { packages, resolution };
}
