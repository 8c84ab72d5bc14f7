/**
 * Opens a regular file below a served directory, and nothing else: no file outside it, whatever
 * symbolic links inside it point at, no directory (there is no listing), no device or FIFO, no
 * hidden file.
 *
 * The path is resolved with realpath and must stay below the directory's own real path; the
 * resolved path is opened with O_NOFOLLOW and O_NONBLOCK (a FIFO would otherwise block the
 * open), and on Linux the opened descriptor's own path (/proc/self/fd/N) is checked again, so a
 * directory swapped for a link between the check and the open is caught too.
 */
import { constants, type Stats } from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';

export interface OpenedFile {
  readonly handle: FileHandle;
  readonly stat: Stats;
  /** The file's real path. */
  readonly path: string;
}

export interface NotServed {
  readonly status: 404;
  readonly reason: string;
}

const inside = (root: string, path: string): boolean => path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);

/** `root` is the directory's real path (realpath), `segments` plain names (request-target.ts). */
export async function openInside(root: string, segments: readonly string[]): Promise<OpenedFile | NotServed> {
  if (segments.some((s) => s.startsWith('.'))) return { status: 404, reason: 'a hidden file' };
  let real: string;
  try {
    real = await realpath(join(root, ...segments));
  } catch {
    return { status: 404, reason: 'no such file' };
  }
  if (!inside(root, real)) return { status: 404, reason: `a link out of the served directory (to ${real})` };
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    return { status: 404, reason: `cannot open (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(stat.isDirectory() ? 'a directory (no listings)' : 'not a regular file');
    const opened = await openedPath(handle.fd);
    if (opened !== undefined && !inside(root, opened)) throw new Error(`opened outside the served directory (${opened})`);
    return { handle, stat, path: real };
  } catch (e) {
    await handle.close();
    return { status: 404, reason: (e as Error).message };
  }
}

/** The path the kernel has for an open descriptor; undefined where there is no /proc. */
async function openedPath(fd: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}
