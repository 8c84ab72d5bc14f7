/**
 * Reading an apt repository the way apt does before it trusts anything: per suite,
 * `dists/<suite>/InRelease` (clearsigned) or `Release` + `Release.gpg`, the signature checked
 * against the keyring; then each component's `binary-<arch>/Packages` index, whose sha256 must be
 * the one the signed Release lists. Each package's `SHA256` in that index then vouches for its
 * .deb. The result is plain data for the resolver.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Key } from 'openpgp';
import { parseRelease, type AptRelease } from './apt-release.js';
import { parseAtom, parseRelations, type DebAtom, type DebDependency } from './deb-relation.js';
import { streamStanzas } from './deb822.js';
import { verifyClearsigned, verifyDetached } from './signature.js';
import { RepositoryError, type RepoSource } from './source.js';

export interface AptSuiteSpec {
  suite: string;
  components: readonly string[];
}

export interface AptPackage {
  name: string;
  version: string;
  /** The package's Architecture: the index's own or `all`. */
  arch: string;
  multiArch: string;
  priority: string;
  essential: boolean;
  preDepends: DebDependency[];
  depends: DebDependency[];
  provides: DebAtom[];
  /** Path of the .deb below the repository root (`pool/main/c/conntrack/...deb`). */
  filename: string;
  size: number;
  sha256: string;
  /** `<suite>/<component>` it was listed in. */
  repository: string;
}

export interface AptRepository {
  packages: AptPackage[];
  /** Per suite: the key that signed it and the index files read (path and sha256). */
  suites: { suite: string; keyId: string; indices: { path: string; sha256: string }[] }[];
}

const FIELDS = new Set(['Package', 'Version', 'Architecture', 'Multi-Arch', 'Priority', 'Essential', 'Pre-Depends', 'Depends', 'Provides', 'Filename', 'Size', 'SHA256']);

/** The index forms kubeseed reads, best first. Node has no xz decoder; see README (OS packages). */
const INDEX_FORMS: readonly { suffix: string; gunzip: boolean }[] = [
  { suffix: '.gz', gunzip: true },
  { suffix: '', gunzip: false },
];

async function signedRelease(src: RepoSource, suite: string, keys: readonly Key[], now: Date): Promise<{ release: AptRelease; keyId: string }> {
  const dir = `dists/${suite}`;
  const inRelease = await src.readSmall(`${dir}/InRelease`);
  let text: string;
  let keyId: string;
  if (inRelease) {
    ({ text, keyId } = await verifyClearsigned(Buffer.from(inRelease).toString('utf8'), keys, src.where(`${dir}/InRelease`), now));
  } else {
    const release = await src.readSmall(`${dir}/Release`);
    if (!release) throw new RepositoryError(`suite ${suite}: neither ${src.where(`${dir}/InRelease`)} nor ${src.where(`${dir}/Release`)} exists`);
    const sig = await src.readSmall(`${dir}/Release.gpg`);
    if (!sig) throw new RepositoryError(`suite ${suite}: ${src.where(`${dir}/Release`)} has no signature (${src.where(`${dir}/Release.gpg`)} missing)`);
    keyId = await verifyDetached(release, sig, keys, src.where(`${dir}/Release.gpg`), now);
    text = Buffer.from(release).toString('utf8');
  }
  const what = src.where(`${dir}/${inRelease ? 'InRelease' : 'Release'}`);
  const release = parseRelease(text, what);
  // apt refuses a Release for another suite (a mirror answering with an older or other suite).
  if (release.suite !== suite && release.codename !== suite) {
    throw new RepositoryError(`${what}: is for suite ${release.suite || '?'} (codename ${release.codename || '?'}), not ${suite}`);
  }
  if (release.validUntil) {
    const until = new Date(release.validUntil);
    if (!Number.isNaN(until.getTime()) && until < now) throw new RepositoryError(`${what}: expired (Valid-Until ${release.validUntil})`);
  }
  return { release, keyId };
}

function toPackage(st: Map<string, string>, repository: string, where: string): AptPackage {
  const need = (f: string) => {
    const v = st.get(f);
    if (v === undefined || v === '') throw new RepositoryError(`${where}: package ${st.get('Package') ?? '?'} has no ${f}`);
    return v;
  };
  const sha256 = need('SHA256');
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RepositoryError(`${where}: package ${st.get('Package')} has a malformed SHA256`);
  const filename = need('Filename');
  if (filename.startsWith('/') || filename.split('/').includes('..')) throw new RepositoryError(`${where}: package ${st.get('Package')} has Filename ${filename} outside the repository`);
  try {
    return {
      name: need('Package'),
      version: need('Version'),
      arch: need('Architecture'),
      multiArch: st.get('Multi-Arch') ?? 'no',
      priority: st.get('Priority') ?? 'optional',
      essential: st.get('Essential') === 'yes',
      preDepends: parseRelations(st.get('Pre-Depends')),
      depends: parseRelations(st.get('Depends')),
      provides: (st.get('Provides') ?? '').split(',').filter((s) => s.trim() !== '').map(parseAtom),
      filename,
      size: Number(need('Size')),
      sha256,
      repository,
    };
  } catch (e) {
    if (e instanceof RepositoryError) throw e;
    throw new RepositoryError(`${where}: package ${st.get('Package')}: ${(e as Error).message}`);
  }
}

export async function readAptRepository(
  src: RepoSource,
  o: { suites: readonly AptSuiteSpec[]; arch: string; keys: readonly Key[]; now: Date },
): Promise<AptRepository> {
  const packages: AptPackage[] = [];
  const suites: AptRepository['suites'] = [];
  for (const s of o.suites) {
    const { release, keyId } = await signedRelease(src, s.suite, o.keys, o.now);
    if (release.architectures.length && !release.architectures.includes(o.arch)) {
      throw new RepositoryError(`${src.where(`dists/${s.suite}/InRelease`)}: suite ${s.suite} has no architecture ${o.arch} (it has ${release.architectures.join(' ')})`);
    }
    const indices: { path: string; sha256: string }[] = [];
    for (const component of s.components) {
      const base = `${component}/binary-${o.arch}/Packages`;
      const listed = INDEX_FORMS.filter((f) => release.sha256.has(base + f.suffix));
      if (listed.length === 0) {
        const other = [...release.sha256.keys()].filter((k) => k.startsWith(`${base}.`));
        throw new RepositoryError(
          `suite ${s.suite}: the Release lists no ${base}.gz or ${base}` +
            (other.length ? ` (only ${other.join(', ')}: kubeseed reads gzip or plain indices, as every Debian and Ubuntu mirror also serves)` : `: is ${component} a component of ${s.suite}?`),
        );
      }
      let got: { file: string; path: string; sha256: string; gunzip: boolean } | null = null;
      for (const f of listed) {
        const path = `dists/${s.suite}/${base}${f.suffix}`;
        const sum = release.sha256.get(base + f.suffix)!;
        const file = await src.fetchVerified(path, sum.sha256, sum.size);
        if (file) {
          got = { file, path, sha256: sum.sha256, gunzip: f.gunzip };
          break;
        }
      }
      if (!got) throw new RepositoryError(`suite ${s.suite}: ${listed.map((f) => src.where(`dists/${s.suite}/${base}${f.suffix}`)).join(' and ')} listed in the Release but not served`);
      indices.push({ path: got.path, sha256: got.sha256 });
      const raw: Readable = createReadStream(got.file);
      const input = got.gunzip ? raw.pipe(createGunzip()) : raw;
      const where = src.where(got.path);
      for await (const st of streamStanzas(input, FIELDS)) {
        const arch = st.get('Architecture');
        if (arch !== o.arch && arch !== 'all') continue;
        packages.push(toPackage(st, `${s.suite}/${component}`, where));
      }
    }
    suites.push({ suite: s.suite, keyId, indices });
  }
  return { packages, suites };
}
