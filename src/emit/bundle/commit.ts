/**
 * Puts a bundle's kubeseed-bundle.tar, SHA256SUMS and bundle.json in place together: they are
 * written into a temporary directory beside OUT/<cluster>.bundle and that directory is renamed
 * into place, so no reader ever pairs a new tar with an old SHA256SUMS or bundle.json, and a
 * failed build leaves the previous bundle as it was. The bundle directory is kubeseed's alone:
 * whatever else was in it goes with the old bundle.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { makeOutputDir } from '../make-dir.js';

export async function commitBundleDir<T>(outDir: string, fill: (dir: string) => Promise<T>): Promise<T> {
  const parent = dirname(outDir);
  makeOutputDir(parent);
  const tmp = await fs.mkdtemp(join(parent, `.${basename(outDir)}.tmp-`));
  let result: T;
  try {
    // mkdtemp makes 0700; a bundle holds no secret and is meant to be copied and served.
    await fs.chmod(tmp, 0o755);
    result = await fill(tmp);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  // rename(2) replaces an empty directory: the old bundle goes to a fresh name, the new one in.
  const old = await fs.mkdtemp(join(parent, `.${basename(outDir)}.old-`));
  let replaced = true;
  try {
    await fs.rename(outDir, old);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      await fs.rm(tmp, { recursive: true, force: true });
      await fs.rmdir(old);
      throw e;
    }
    replaced = false;
  }
  try {
    await fs.rename(tmp, outDir);
  } catch (e) {
    if (replaced) await fs.rename(old, outDir);
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    await fs.rm(old, { recursive: true, force: true });
  }
  return result;
}
