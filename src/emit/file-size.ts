/**
 * The size of the regular file at `path`, or null when there is none: absent, or a parent that is
 * a file (ENOTDIR). Anything else (permission, I/O) is an error worth seeing.
 */
import { promises as fs } from 'node:fs';

export async function regularFileSize(path: string): Promise<number | null> {
  try {
    const st = await fs.stat(path);
    return st.isFile() ? st.size : null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

export const isFile = async (path: string): Promise<boolean> => (await regularFileSize(path)) !== null;
