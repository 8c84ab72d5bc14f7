#!/usr/bin/env node
// Builds the e2e offline bundle: OUT_DIR/{kubeseed-bundle.tar,SHA256SUMS,bundle.json} holding
// exactly the given Debian .deb files as artifacts of kind "package" (packages/<file>.deb), with
// kubeseed's own tar writer and bundle.json/SHA256SUMS serializers from dist/.
// `kubeseed bundle --from` cannot make this bundle: it insists on every upstream binary from the
// version table (kubeadm, kubelet, ...), which cannot be downloaded here, and it only lists OS
// packages by name. So the bundle has no kubeadm, on purpose: the node's kubeadm phase must
// stop with "kubeadm binary missing from bundle".
//
// Usage: node test/e2e/make-bundle.mjs REPO_DIR OUT_DIR KUBERNETES_VERSION DEB...
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const [repo, outDir, k8sVersion, ...debs] = process.argv.slice(2);
if (!repo || !outDir || !k8sVersion || debs.length === 0) {
  console.error('usage: make-bundle.mjs REPO_DIR OUT_DIR KUBERNETES_VERSION DEB...');
  process.exit(2);
}
const lib = (p) => import(pathToFileURL(join(repo, 'dist', p)).href);
const { bundleJson, sha256sums, BUNDLE_TAR } = await lib('emit/bundle/index.js');
const { writeTar } = await lib('emit/bundle/tar.js');

const sha256 = (path) =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
const debField = (path, field) => execFileSync('dpkg-deb', ['-f', path, field], { encoding: 'utf8' }).trim();

const files = [];
for (const deb of [...debs].sort()) {
  const name = debField(deb, 'Package');
  const version = debField(deb, 'Version');
  // The pool's own naming (no epoch): apt-get download writes "1%3a1.31-1" for an epoch, and a
  // bundle path holds no "%".
  const path = `packages/${name}_${version.replace(/^\d+:/, '')}_${debField(deb, 'Architecture')}.deb`;
  const { size } = await fs.stat(deb);
  files.push({
    artifact: {
      name: `package/${name}`,
      kind: 'package',
      version,
      arch: 'amd64',
      url: null,
      checksumUrl: null,
      sha256: null,
      fileName: path.slice('packages/'.length),
      bundlePath: path,
      package: { manager: 'apt', name, tool: name },
    },
    source: deb,
    path,
    sha256: await sha256(deb),
    size,
  });
}

const meta = bundleJson({ kubernetesVersion: k8sVersion, arch: 'amd64', skipped: ['binaries', 'images'], files, packages: [] });
const sums = sha256sums(files);
await fs.mkdir(outDir, { recursive: true });
const entries = [
  { type: 'buffer', path: 'bundle.json', mode: 0o644, content: Buffer.from(meta) },
  { type: 'buffer', path: 'SHA256SUMS', mode: 0o644, content: Buffer.from(sums) },
  { type: 'directory', path: 'packages', mode: 0o755 },
  ...files.map((f) => ({ type: 'file', path: f.path, mode: 0o644, source: f.source, size: f.size, sha256: f.sha256, label: f.source })),
];
const { bytes } = await writeTar(join(outDir, BUNDLE_TAR), entries, { mtime: new Date(0) });
await fs.writeFile(join(outDir, 'SHA256SUMS'), sums);
await fs.writeFile(join(outDir, 'bundle.json'), meta);
console.log(`${join(outDir, BUNDLE_TAR)}: ${files.length} packages, ${bytes} bytes: ${files.map((f) => f.artifact.name).join(' ')}`);
