// Test images built from this machine's own files: Debian's busybox-static as the one layer
// (bin/busybox and bin/sh -> busybox), as a real multi-arch index (amd64 + arm64; the arm64 image
// carries the same layer bytes, only its config and manifest differ), written in skopeo's `dir:`
// layout, which keeps an OCI index or a Docker manifest list byte for byte (skopeo refuses to copy a
// Docker list out of an OCI layout with --preserve-digests). Plain JavaScript so the end-to-end scripts
// can run it with node alone (see registry-fixture.mjs); tests import it too.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = '/usr/bin/busybox';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

function must(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

// skopeo runs asynchronously: the token endpoint it asks may be served by this same process.
function mustAsync(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${Buffer.concat(err)}`));
    });
  });
}

/** Deterministic incompressible bytes (a sha256 chain), for images large enough to time or cut. */
function filler(seed, size) {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += 32) {
    block.copy(out, off);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/**
 * Builds one image in skopeo's dir: layout under `dir` (replaced): manifest.json (the index),
 * <hex>.manifest.json per platform, <hex> per config and layer, version.
 *   name      a label that seeds the filler bytes (images of another name differ)
 *   format    'oci' (OCI index + manifests) or 'docker' (Docker manifest list v2 + manifests v2)
 *   fillerMiB extra incompressible MiB in a second layer (0: busybox only)
 * Returns { dir, index: { digest, size, mediaType }, manifests: { amd64, arm64 }, layers, blobs }
 * where every digest is `sha256:<hex>` and blobs lists every blob digest the index reaches.
 */
export function buildTestImage({ dir, name = 'busybox', format = 'oci', fillerMiB = 0 }) {
  const m = format === 'docker'
    ? { index: MEDIA.dockerList, manifest: MEDIA.dockerManifest, config: MEDIA.dockerConfig, layer: MEDIA.dockerLayer }
    : { index: MEDIA.ociIndex, manifest: MEDIA.ociManifest, config: MEDIA.ociConfig, layer: MEDIA.ociLayer };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const put = (bytes, suffix = '') => {
    const hex = sha256(bytes);
    writeFileSync(join(dir, `${hex}${suffix}`), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };

  // Layers: a deterministic tar (fixed order, owner, mtime), gzip without name or time.
  const work = join(dir, '.work');
  const layerOf = (label, fill) => {
    const tree = join(work, label);
    rmSync(tree, { recursive: true, force: true });
    mkdirSync(tree, { recursive: true });
    fill(tree);
    const tar = join(work, `${label}.tar`);
    must('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=gnu', '-cf', tar, '-C', tree, '.']);
    const diffId = `sha256:${sha256(readFileSync(tar))}`;
    must('gzip', ['-n', '-6', tar]);
    return { diffId, ...put(readFileSync(`${tar}.gz`)) };
  };
  const layers = [
    layerOf('busybox', (t) => {
      mkdirSync(join(t, 'bin'));
      copyFileSync(BUSYBOX, join(t, 'bin', 'busybox'));
      chmodSync(join(t, 'bin', 'busybox'), 0o755);
      symlinkSync('busybox', join(t, 'bin', 'sh'));
    }),
  ];
  if (fillerMiB > 0) {
    layers.push(layerOf('filler', (t) => writeFileSync(join(t, 'filler'), filler(name, fillerMiB << 20))));
  }

  const manifests = {};
  const children = [];
  for (const architecture of ['amd64', 'arm64']) {
    const config = Buffer.from(JSON.stringify({
      architecture,
      os: 'linux',
      ...(architecture === 'arm64' ? { variant: 'v8' } : {}),
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    }));
    const c = put(config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: m.manifest,
      config: { mediaType: m.config, digest: c.digest, size: c.size },
      layers: layers.map((l) => ({ mediaType: m.layer, digest: l.digest, size: l.size })),
    }));
    const d = put(manifest, '.manifest.json');
    manifests[architecture] = { ...d, mediaType: m.manifest, config: c.digest };
    children.push({
      mediaType: m.manifest,
      ...d,
      platform: { architecture, os: 'linux', ...(architecture === 'arm64' ? { variant: 'v8' } : {}) },
    });
  }
  const indexBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: m.index, manifests: children }));
  writeFileSync(join(dir, 'manifest.json'), indexBytes);
  const index = { digest: `sha256:${sha256(indexBytes)}`, size: indexBytes.length };
  writeFileSync(join(dir, 'version'), 'Directory Transport Version: 1.1\n');
  rmSync(work, { recursive: true, force: true });
  const blobs = [index.digest, ...Object.values(manifests).flatMap((x) => [x.digest, x.config]), ...layers.map((l) => l.digest)];
  return { dir, index: { ...index, mediaType: m.index }, manifests, layers, blobs: [...new Set(blobs)].sort() };
}

/**
 * Pushes an image built by buildTestImage to `docker://DEST` (`host:port/repository:tag`) with
 * skopeo, every platform, digests as they are. certDir: a directory holding ca.crt; creds:
 * 'user:password' or undefined (anonymous).
 */
export async function skopeoPush(image, dest, { certDir, creds } = {}) {
  await mustAsync('skopeo', [
    'copy', '--quiet', '--all', '--preserve-digests',
    ...(certDir ? ['--dest-cert-dir', certDir] : ['--dest-tls-verify=false']),
    ...(creds ? ['--dest-creds', creds] : ['--dest-no-creds']),
    `dir:${image.dir}`, `docker://${dest}`,
  ]);
}

/** `skopeo inspect --raw docker://REF` as bytes, and their sha256 (`sha256:<hex>`). */
export async function skopeoRawDigest(ref, { certDir, creds } = {}) {
  const raw = await mustAsync('skopeo', [
    'inspect', '--raw',
    ...(certDir ? ['--cert-dir', certDir] : ['--tls-verify=false']),
    ...(creds ? ['--creds', creds] : ['--no-creds']),
    `docker://${ref}`,
  ]);
  return { raw, digest: `sha256:${sha256(raw)}` };
}

