/**
 * The registry client's pure parts, as tables: image references (docker normalisation, as CRI
 * applies it to what kubelet asks for), WWW-Authenticate challenges, docker config.json auths,
 * manifests and platform choice.
 */
import { describe, expect, it } from 'vitest';
import { authKeyHost, parseChallenges, parseDockerConfig } from '../../src/oci/auth.js';
import { parseManifest, selectPlatform } from '../../src/oci/manifest.js';
import { formatReference, parseReference } from '../../src/oci/reference.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`busybox:1.36@${D}`, `docker.io/library/busybox:1.36@${D}`],
    ['library/busybox', 'docker.io/library/busybox'],
    ['team/app:v1', 'docker.io/team/app:v1'],
    ['index.docker.io/busybox', 'docker.io/library/busybox'],
    ['docker.io/busybox', 'docker.io/library/busybox'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ['registry.k8s.io/coredns/coredns:v1.11.3', 'registry.k8s.io/coredns/coredns:v1.11.3'],
    ['localhost/app', 'localhost/app'],
    ['127.0.0.1:5000/test/busybox:1.0', '127.0.0.1:5000/test/busybox:1.0'],
    ['registry.example:5000/a/b/c', 'registry.example:5000/a/b/c'],
    ['Registry/app', 'Registry/app'],
    ['my.registry/a__b/c-d.e_f:tag_1.2-x', 'my.registry/a__b/c-d.e_f:tag_1.2-x'],
  ])('%s is %s', (text, normal) => {
    expect(formatReference(parseReference(text))).toBe(normal);
  });

  it.each([
    ['', 'no repository name'],
    ['Busybox', 'path component "Busybox" must be lowercase'],
    ['busybox:', 'tag "" is not'],
    ['busybox:-x', 'tag "-x" is not'],
    ['busybox@sha256:abc', 'digest "sha256:abc" is not sha256:<64 lowercase hex>'],
    [`busybox@sha512:${'a'.repeat(128)}`, 'is not sha256:<64 lowercase hex>'],
    ['registry.example/a//b', 'path component "" must be lowercase'],
    ['registry.example:port/app', 'is not a host[:port]'],
    ['a/-b', 'path component "-b"'],
  ])('%j is refused: %s', (text, why) => {
    expect(() => parseReference(text)).toThrow(why);
  });

  it('keeps the parts apart', () => {
    expect(parseReference(`registry.k8s.io/kube-apiserver:v1.31.12@${D}`)).toEqual({ registry: 'registry.k8s.io', repository: 'kube-apiserver', tag: 'v1.31.12', digest: D });
    expect(formatReference(parseReference(`busybox:1.36@${D}`), { digest: false })).toBe('docker.io/library/busybox:1.36');
  });
});

describe('parseChallenges', () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['basic REALM=x', [{ scheme: 'basic', params: { realm: 'x' } }]],
    ['Bearer realm="a\\"b,c", service=svc', [{ scheme: 'bearer', params: { realm: 'a"b,c', service: 'svc' } }]],
    ['Basic realm="r", Bearer realm="https://t/token"', [{ scheme: 'basic', params: { realm: 'r' } }, { scheme: 'bearer', params: { realm: 'https://t/token' } }]],
    ['', []],
  ])('%s', (header, want) => {
    expect(parseChallenges(header)).toEqual(want);
  });
});

describe('docker config.json', () => {
  it('reads auth and username/password entries by host', () => {
    const text = JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:pa:ss').toString('base64') },
        'registry.example:5000': { username: 'u', password: 'p' },
        'https://Mirror.Example/': { auth: Buffer.from('m:q').toString('base64') },
      },
      credsStore: 'desktop',
    });
    expect([...parseDockerConfig(text, 'config.json')]).toEqual([
      ['docker.io', { username: 'hub', password: 'pa:ss' }],
      ['registry.example:5000', { username: 'u', password: 'p' }],
      ['mirror.example', { username: 'm', password: 'q' }],
    ]);
    expect(authKeyHost('registry-1.docker.io')).toBe('docker.io');
  });

  it.each([
    ['{', 'config.json: not JSON'],
    ['{"auths": 3}', 'config.json: auths is not an object'],
    ['{"auths": {"r.example": {}}}', 'config.json: auths.r.example has neither auth nor username and password'],
    ['{"auths": {"r.example": {"identitytoken": "x"}}}', 'identitytoken is not supported'],
    [`{"auths": {"r.example": {"auth": "${Buffer.from('nocolon').toString('base64')}"}}}`, 'is not base64 of user:password'],
  ])('%s is refused', (text, why) => {
    expect(() => parseDockerConfig(text, 'config.json')).toThrow(why);
  });
});

describe('manifests', () => {
  const desc = (digest: string, platform?: object, mediaType = 'application/vnd.oci.image.manifest.v1+json') => ({ mediaType, digest, size: 10, ...(platform ? { platform } : {}) });
  const index = (manifests: object[], mediaType?: string) => Buffer.from(JSON.stringify({ schemaVersion: 2, ...(mediaType ? { mediaType } : {}), manifests }));
  const d = (c: string) => `sha256:${c.repeat(64)}`;

  it('tells an index from a manifest by its mediaType, the Content-Type, or its shape', () => {
    expect(parseManifest(index([desc(d('1'))]), 'application/vnd.docker.distribution.manifest.list.v2+json').mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(parseManifest(index([desc(d('1'))])).mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(parseManifest(index([desc(d('1'))], 'application/vnd.oci.image.index.v1+json'), 'application/json').kind).toBe('index');
    const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: desc(d('2')), layers: [desc(d('3'))] })));
    expect(m).toMatchObject({ kind: 'manifest', config: { digest: d('2') }, layers: [{ digest: d('3') }] });
  });

  it.each([
    [Buffer.from('not json'), 'not JSON'],
    [Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] })), 'schemaVersion 1'],
    [Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.artifact.manifest.v1+json' })), 'is not an image index or manifest'],
    [index([{ mediaType: 'x', digest: `sha512:${'a'.repeat(128)}`, size: 1 }]), 'only sha256 is supported'],
    [index([{ mediaType: 'x', digest: d('1'), size: -1 }]), 'manifests[0].size is not a byte count'],
  ])('refuses %s', (bytes, why) => {
    expect(() => parseManifest(bytes)).toThrow(why);
  });

  it('picks linux/<arch> as containerd does: arm64 with variant v8 or none; never attestations', () => {
    const parsed = parseManifest(index([
      desc(d('0'), { os: 'unknown', architecture: 'unknown' }),
      desc(d('1'), { os: 'linux', architecture: 'arm', variant: 'v7' }),
      desc(d('2'), { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      desc(d('3'), { os: 'windows', architecture: 'amd64' }),
      desc(d('4'), { os: 'linux', architecture: 'amd64' }),
    ]));
    if (parsed.kind !== 'index') throw new Error('not an index');
    const list = parsed.manifests;
    expect(selectPlatform(list, 'amd64')?.digest).toBe(d('4'));
    expect(selectPlatform(list, 'arm64')?.digest).toBe(d('2'));
    expect(selectPlatform(list, 's390x')).toBeUndefined();
    const bare = parseManifest(index([desc(d('5'), { os: 'linux', architecture: 'arm64' })]));
    expect(bare.kind === 'index' ? selectPlatform(bare.manifests, 'arm64')?.digest : undefined).toBe(d('5'));
  });
});
