/**
 * The artifacts cache: verified files stored by their sha256, so a file is downloaded once
 * whatever its name or version, and a half-done download resumes from its `.part` file.
 * Only verified files are renamed into `sha256/`; a bad download never enters it.
 */
import { join } from 'node:path';

export function cachedPath(cacheDir: string, sha256: string): string {
  return join(cacheDir, 'sha256', sha256);
}

export function partialPath(cacheDir: string, sha256: string): string {
  return join(cacheDir, 'partial', `${sha256}.part`);
}
