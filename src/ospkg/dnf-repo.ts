/**
 * Reading a dnf (rpm-md) repository the way dnf does with repo_gpgcheck: `repodata/repomd.xml`,
 * its detached signature `repodata/repomd.xml.asc` when the repository has one, then the
 * `primary` (and `group`, comps) files it lists, each checked against the sha256 repomd.xml
 * gives. primary.xml is tens of MB uncompressed: it is parsed as a stream with sax, keeping per
 * package only what the resolver needs.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Key } from 'openpgp';
import sax from 'sax';
import type { Evr, RpmFlag } from './rpm-version.js';
import { verifyDetached } from './signature.js';
import { RepositoryError, type RepoSource } from './source.js';

export interface RpmDep {
  name: string;
  flags?: RpmFlag;
  evr?: Evr;
  /** Required before the package's own scriptlets run (`pre="1"`). */
  pre?: boolean;
}

export interface RpmPackage {
  name: string;
  arch: string;
  evr: Evr;
  provides: RpmDep[];
  requires: RpmDep[];
  /** Files primary.xml lists (those under bin directories and /etc): what file requires can name. */
  files: string[];
  /** Path of the .rpm below the repository root. */
  location: string;
  size: number;
  sha256: string;
  /** The repository id it came from (`baseos`, `appstream`). */
  repository: string;
}

export interface DnfRepoSpec {
  id: string;
  /** Path of the repository (where repodata/ is) below the mirror root. */
  path: string;
}

export interface DnfRepository {
  packages: RpmPackage[];
  /** Package names of the comps group `core` (mandatory and default), from every repository that has comps. */
  core: string[] | null;
  repos: { id: string; signedBy: string | null; primary: string }[];
}

interface RepomdEntry {
  type: string;
  href: string;
  sha256: string;
  size: number | null;
}

/** Runs a sax parser over a stream; `on` gets open tags, text, and close tags. */
async function parseXml(
  input: Readable,
  what: string,
  on: { open?: (name: string, attrs: Record<string, string>) => void; text?: (t: string) => void; close?: (name: string) => void },
): Promise<void> {
  const parser = sax.createStream(true, { trim: false, normalize: false });
  let failed: Error | null = null;
  parser.on('opentag', (t) => on.open?.(t.name, t.attributes as Record<string, string>));
  parser.on('text', (t) => on.text?.(t));
  parser.on('closetag', (n) => on.close?.(n));
  parser.on('error', (e) => {
    failed ??= e;
  });
  await new Promise<void>((resolve, reject) => {
    input.on('error', reject);
    parser.on('end', () => resolve());
    parser.on('error', () => reject(new RepositoryError(`${what}: not well-formed XML: ${failed?.message.split('\n')[0]}`)));
    input.pipe(parser);
  });
}

function parseRepomd(bytes: Uint8Array, what: string): Promise<RepomdEntry[]> {
  const out: RepomdEntry[] = [];
  let cur: Partial<RepomdEntry> | null = null;
  let inChecksum = false;
  let inSize = false;
  let checksumType = '';
  let text = '';
  return parseXml(Readable.from([Buffer.from(bytes)]), what, {
    open: (name, a) => {
      if (name === 'data') cur = { type: a.type ?? '' };
      else if (cur && name === 'checksum') {
        inChecksum = true;
        checksumType = a.type ?? '';
        text = '';
      } else if (cur && name === 'location') cur.href = a.href ?? '';
      else if (cur && name === 'size') {
        inSize = true;
        text = '';
      }
    },
    text: (t) => {
      if (inChecksum || inSize) text += t;
    },
    close: (name) => {
      if (name === 'checksum' && cur) {
        if (checksumType === 'sha256') cur.sha256 = text.trim();
        inChecksum = false;
      } else if (name === 'size' && cur) {
        cur.size = Number(text.trim());
        inSize = false;
      } else if (name === 'data' && cur) {
        out.push({ type: cur.type ?? '', href: cur.href ?? '', sha256: cur.sha256 ?? '', size: cur.size ?? null });
        cur = null;
      }
    },
  }).then(() => out);
}

const FLAGS = new Set(['EQ', 'LT', 'LE', 'GT', 'GE']);

function dep(a: Record<string, string>): RpmDep {
  const flags = a.flags && FLAGS.has(a.flags) ? (a.flags as RpmFlag) : undefined;
  return {
    name: a.name ?? '',
    ...(flags ? { flags, evr: { epoch: a.epoch ?? '0', ver: a.ver ?? '', rel: a.rel ?? '' } } : {}),
    ...(a.pre === '1' ? { pre: true } : {}),
  };
}

/** Streams primary.xml's packages of the given arches. */
async function parsePrimary(input: Readable, what: string, arches: ReadonlySet<string>, repository: string): Promise<RpmPackage[]> {
  const out: RpmPackage[] = [];
  let p: RpmPackage | null = null;
  let field: 'name' | 'arch' | 'checksum' | 'file' | null = null;
  let checksumType = '';
  let list: 'provides' | 'requires' | null = null;
  let text = '';
  // Thrown after the parse: an exception inside a sax callback would escape the stream.
  let bad: RepositoryError | null = null;
  await parseXml(input, what, {
    open: (name, a) => {
      if (name === 'package') {
        p = { name: '', arch: '', evr: { epoch: '0', ver: '', rel: '' }, provides: [], requires: [], files: [], location: '', size: 0, sha256: '', repository };
        return;
      }
      if (!p) return;
      switch (name) {
        case 'name':
        case 'arch':
        case 'file':
          field = name;
          text = '';
          break;
        case 'checksum':
          field = 'checksum';
          checksumType = a.type ?? '';
          text = '';
          break;
        case 'version':
          p.evr = { epoch: a.epoch ?? '0', ver: a.ver ?? '', rel: a.rel ?? '' };
          break;
        case 'size':
          p.size = Number(a.package ?? 0);
          break;
        case 'location':
          p.location = a.href ?? '';
          break;
        case 'rpm:provides':
          list = 'provides';
          break;
        case 'rpm:requires':
          list = 'requires';
          break;
        case 'rpm:entry':
          if (list) p[list].push(dep(a));
          break;
      }
    },
    text: (t) => {
      if (field) text += t;
    },
    close: (name) => {
      if (!p) return;
      if (name === 'package') {
        const done: RpmPackage = p;
        p = null;
        if (!arches.has(done.arch)) return;
        if (!/^[0-9a-f]{64}$/.test(done.sha256)) bad ??= new RepositoryError(`${what}: package ${done.name} has no sha256 checksum`);
        else if (done.location.startsWith('/') || done.location.split('/').includes('..') || /^[a-z]+:/.test(done.location)) {
          bad ??= new RepositoryError(`${what}: package ${done.name} lies outside the repository (${done.location})`);
        } else out.push(done);
        return;
      }
      if (name === 'rpm:provides' || name === 'rpm:requires') list = null;
      if (field && name === field) {
        const v = text.trim();
        if (field === 'name') p.name = v;
        else if (field === 'arch') p.arch = v;
        else if (field === 'file') p.files.push(v);
        else if (field === 'checksum' && checksumType === 'sha256') p.sha256 = v;
        field = null;
      }
    },
  });
  if (bad) throw bad;
  return out;
}

/** The `core` group's mandatory and default package names from a comps file. */
async function parseCore(input: Readable, what: string): Promise<string[] | null> {
  let inGroup = false;
  let groupId = '';
  let idText: string | null = null;
  let req: string | null = null;
  let pkgText = '';
  let found: string[] | null = null;
  let names: string[] = [];
  await parseXml(input, what, {
    open: (name, a) => {
      if (name === 'group') {
        inGroup = true;
        groupId = '';
        names = [];
      } else if (inGroup && name === 'id') idText = '';
      else if (inGroup && name === 'packagereq') {
        req = a.type ?? 'mandatory';
        pkgText = '';
      }
    },
    text: (t) => {
      if (idText !== null) idText += t;
      if (req !== null) pkgText += t;
    },
    close: (name) => {
      if (name === 'id' && idText !== null) {
        groupId = idText.trim();
        idText = null;
      } else if (name === 'packagereq' && req !== null) {
        if (req === 'mandatory' || req === 'default') names.push(pkgText.trim());
        req = null;
      } else if (name === 'group') {
        if (groupId === 'core') found = [...(found ?? []), ...names];
        inGroup = false;
      }
    },
  });
  return found;
}

const RPM_ARCHES: Record<string, readonly string[]> = { amd64: ['x86_64', 'noarch'], arm64: ['aarch64', 'noarch'] };

export async function readDnfRepository(
  src: RepoSource,
  o: { repos: readonly DnfRepoSpec[]; arch: string; keys: readonly Key[]; now: Date },
): Promise<DnfRepository> {
  const arches = new Set(RPM_ARCHES[o.arch] ?? [o.arch]);
  const packages: RpmPackage[] = [];
  const repos: DnfRepository['repos'] = [];
  let core: string[] | null = null;
  for (const r of o.repos) {
    const base = r.path.replace(/\/+$/, '');
    const at = (p: string) => (base ? `${base}/${p}` : p);
    const mdPath = at('repodata/repomd.xml');
    const md = await src.readSmall(mdPath);
    if (!md) throw new RepositoryError(`repository ${r.id}: ${src.where(mdPath)} does not exist`);
    const sig = await src.readSmall(at('repodata/repomd.xml.asc'));
    const signedBy = sig ? await verifyDetached(md, sig, o.keys, src.where(at('repodata/repomd.xml.asc')), o.now) : null;
    const entries = await parseRepomd(md, src.where(mdPath));
    const fetch = async (type: string, required: boolean): Promise<{ file: string; href: string; gz: boolean } | null> => {
      const e = entries.find((x) => x.type === type);
      if (!e) {
        if (required) throw new RepositoryError(`${src.where(mdPath)}: lists no ${type} data`);
        return null;
      }
      if (!/^[0-9a-f]{64}$/.test(e.sha256)) throw new RepositoryError(`${src.where(mdPath)}: ${type} has no sha256 checksum`);
      const gz = e.href.endsWith('.gz');
      if (!gz && !e.href.endsWith('.xml')) {
        throw new RepositoryError(`${src.where(mdPath)}: ${type} is ${e.href}; kubeseed reads .xml.gz or .xml (createrepo_c --general-compress-type gz)`);
      }
      const file = await src.fetchVerified(at(e.href), e.sha256, e.size);
      if (!file) throw new RepositoryError(`${src.where(at(e.href))}: listed in repomd.xml but not served`);
      return { file, href: e.href, gz };
    };
    const open = (f: { file: string; gz: boolean }): Readable => (f.gz ? createReadStream(f.file).pipe(createGunzip()) : createReadStream(f.file));
    const primary = (await fetch('primary', true))!;
    packages.push(...(await parsePrimary(open(primary), src.where(at(primary.href)), arches, r.id)));
    const group = (await fetch('group', false)) ?? (await fetch('group_gz', false));
    if (group) {
      const names = await parseCore(open(group), src.where(at(group.href)));
      if (names) core = [...(core ?? []), ...names];
    }
    repos.push({ id: r.id, signedBy, primary: at(primary.href) });
  }
  // A package's location is relative to its own repository: make it relative to the mirror root.
  for (const p of packages) {
    const r = o.repos.find((x) => x.id === p.repository)!;
    const base = r.path.replace(/\/+$/, '');
    if (base) p.location = `${base}/${p.location}`;
  }
  return { packages, core, repos };
}
