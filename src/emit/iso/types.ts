/** A file to place in an ISO image. Its bytes are read only while the image is written. */
export interface IsoFile {
  /** Path inside the image, '/'-separated, no leading '/': 'user-data', 'kubeseed/bundle.tar'. */
  readonly path: string;
  /** Exact byte length; the layout is fixed from it before any byte is read. */
  readonly size: number;
  /**
   * A file on disk holding exactly these bytes: the writer reads it itself, straight into the
   * buffer it writes from, instead of copying the chunks `open` yields.
   */
  readonly localPath?: string;
  /**
   * Sees every byte of the file, in order, as the writer copies it (to hash it on the way, say),
   * whether it came from `localPath` or `open`; a piece is valid only during the call.
   */
  readonly observe?: (piece: Uint8Array) => void;
  /** Permission bits (e.g. 0o644), recorded in the Rock Ridge PX entry. */
  readonly mode: number;
  /**
   * Opens the content; called once, when the writer reaches this file. The writer copies each
   * chunk before it asks for the next, so a source may reuse one buffer for every chunk.
   */
  readonly open: () => NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>;
}

export interface WriteIsoOptions {
  /** Volume identifier, e.g. 'cidata' for a NoCloud seed (printable ASCII, at most 32 characters). */
  readonly volumeId: string;
  /** The one timestamp every date in the image carries (seconds since 1970, UTC). */
  readonly epochSeconds: number;
  /** Permission bits of the image file itself (default 0o644), whatever the umask. */
  readonly mode?: number;
  /** Called as bytes reach the file: bytes written so far and the image's total size. */
  readonly onProgress?: (written: number, total: number) => void;
}
