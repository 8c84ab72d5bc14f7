// Child process for large.test.ts: writes one image with the compiled writer and reports, as one
// JSON line, its own peak RSS and the sha256 of the generated file. Runs apart from vitest so that
// the RSS is the writer's alone.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [modPath, out, kind, arg] = process.argv.slice(2);
const { writeIso, isoFileFromPath, isoFileFromBuffer } = await import(pathToFileURL(modPath).href);

const CHUNK = 1 << 20;
let digest = null;
let file;
if (kind === 'generated') {
  // A deterministic non-repeating stream: one base buffer, each chunk stamped with its index.
  // The same Buffer object is yielded every time, so the writer must not keep references to it.
  const size = Number(arg);
  const base = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) base[i] = (i * 131 + (i >> 11)) & 255;
  const chunk = Buffer.alloc(CHUNK);
  const hash = createHash('sha256');
  file = {
    path: 'kubeseed/images.tar',
    size,
    mode: 0o640,
    open: () => (async function* () {
      for (let off = 0, n = 0; off < size; off += CHUNK, n++) {
        base.copy(chunk);
        for (let p = 0; p < CHUNK; p += 4096) chunk.writeUInt32LE(n, p);
        const part = chunk.subarray(0, Math.min(CHUNK, size - off));
        hash.update(part);
        yield part;
      }
      digest = hash.digest('hex');
    })(),
  };
} else {
  file = await isoFileFromPath(arg, 'kubeseed/huge.bin', 0o640);
}

await writeIso(
  [file, isoFileFromBuffer('user-data', '#cloud-config\n', 0o600), isoFileFromBuffer('meta-data', 'instance-id: big\n')],
  { volumeId: 'cidata', epochSeconds: 1_700_000_000 },
  out,
);
console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, sha256: digest }));
