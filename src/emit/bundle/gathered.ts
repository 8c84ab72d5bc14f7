/**
 * What each gatherer (binaries.ts, images.ts) hands build.ts: files on disk to copy into the
 * bundle tar at a path, with the sha256 the copy is checked against.
 */
import type { BundledFile } from './manifest.js';
import type { DownloadProgress } from './download.js';

export interface Gathered {
  readonly file: BundledFile;
  /** The file on disk the tar entry streams from. */
  readonly source: string;
  /** How a mismatch while copying names the file. */
  readonly label: string;
  readonly from: 'dir' | 'cache' | 'mirror' | 'registry';
}

export type BundleProgress =
  | { type: 'resolve'; artifact: string; from: 'dir' | 'cache' | 'mirror'; path: string }
  | ({ type: 'download'; artifact: string } & DownloadProgress)
  | { type: 'pull'; artifact: string; ref: string; bytes: number; total: number }
  | { type: 'image'; artifact: string; ref: string; digest: string; received: number }
  | { type: 'write'; bytes: number; total: number }
  | { type: 'done'; path: string; bytes: number };

export interface GatherOptions {
  /** Directory holding binaries by file name (or by bundle path, e.g. an extracted bundle). */
  readonly fromDir?: string;
  /** Mirror whose paths repeat the upstream URL paths; caFile is a PEM CA for https. */
  readonly mirror?: { readonly url: string; readonly caFile?: string };
  readonly download?: { maxAttempts?: number; retryDelayMs?: number; timeoutMs?: number };
  readonly onProgress?: (e: BundleProgress) => void;
}
