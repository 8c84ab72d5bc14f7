#!/usr/bin/env node
// Serves a multi-arch busybox test image (built here from Debian's busybox-static) from a real
// docker-registry on 127.0.0.1 with TLS from a test CA, for tests and the end-to-end VM test.
//
//   node test/oci/serve-images.mjs DIR [--auth none|htpasswd|token]
//
// Writes DIR/registry.json once the registry is up and the image pushed (poll for the file), and
// serves until SIGTERM or SIGINT (it stops the registry it started). registry.json holds:
//   host       127.0.0.1:PORT
//   caFile     the test CA (give it to kubeseed: --registry-ca HOST=caFile)
//   authFile   a docker config.json with the registry's credentials (htpasswd/token modes), or null
//   image      { repository: 'site/busybox', tag: '1.0', digest: <index digest>, manifests: { amd64, arm64 } }
//   extraImage the profile entry that pulls it through a mirror:
//              registry.kubeseed.test/site/busybox:1.0@<digest>
//   bundleArgs the `kubeseed bundle` flags that reach it: --registry-mirror registry.kubeseed.test=
//              https://HOST --registry-ca HOST=caFile [--registry-auth authFile]
// Everything lives under DIR; the registry's pid is in registry.json too.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildTestImage, skopeoPush } from './images.mjs';
import { makeTestCa, startRegistry } from './registry.mjs';

/** The registry host name the site image is known by; only the mirror can serve it. */
export const SITE_REGISTRY = 'registry.kubeseed.test';

/** Starts everything; returns the registry.json contents plus stop(). */
export async function serveTestImages({ dir, auth = 'none', fillerMiB = 0 }) {
  mkdirSync(dir, { recursive: true });
  const tls = makeTestCa(join(dir, 'ca'));
  const image = buildTestImage({ dir: join(dir, 'image'), name: 'site', fillerMiB });
  const registry = await startRegistry({ dir: join(dir, 'registry'), auth, tls });
  const creds = auth === 'none' ? undefined : `${registry.user}:${registry.password}`;
  const repository = 'site/busybox';
  const tag = '1.0';
  await skopeoPush(image, `${registry.host}/${repository}:${tag}`, { certDir: tls.certDir, creds });
  let authFile = null;
  if (creds) {
    authFile = join(dir, 'auth', 'config.json');
    mkdirSync(join(dir, 'auth'), { recursive: true });
    writeFileSync(authFile, JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(creds).toString('base64') } } }), { mode: 0o600 });
  }
  const info = {
    host: registry.host,
    pid: registry.pid,
    caFile: tls.caFile,
    authFile,
    image: { repository, tag, digest: image.index.digest, manifests: { amd64: image.manifests.amd64.digest, arm64: image.manifests.arm64.digest } },
    extraImage: `${SITE_REGISTRY}/${repository}:${tag}@${image.index.digest}`,
    bundleArgs: [
      '--registry-mirror', `${SITE_REGISTRY}=https://${registry.host}`,
      '--registry-ca', `${registry.host}=${tls.caFile}`,
      ...(authFile ? ['--registry-auth', authFile] : []),
    ],
  };
  return { ...info, built: image, registry, stop: registry.stop };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const dir = args[0];
  const auth = args.includes('--auth') ? args[args.indexOf('--auth') + 1] : 'none';
  if (!dir || !['none', 'htpasswd', 'token'].includes(auth)) {
    console.error('usage: serve-images.mjs DIR [--auth none|htpasswd|token]');
    process.exit(2);
  }
  const out = resolve(dir);
  rmSync(join(out, 'registry.json'), { force: true });
  const served = await serveTestImages({ dir: out, auth });
  const { built: _b, registry: _r, stop, ...info } = served;
  writeFileSync(join(out, 'registry.json.tmp'), `${JSON.stringify(info, null, 2)}\n`);
  // Renamed into place only when complete: a reader that sees the file sees all of it.
  renameSync(join(out, 'registry.json.tmp'), join(out, 'registry.json'));
  console.log(JSON.stringify(info));
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await stop();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  setInterval(() => {}, 1 << 30);
}
