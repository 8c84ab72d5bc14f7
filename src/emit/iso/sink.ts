/**
 * Sequential writer to a file through one staging buffer, with plain synchronous pread/pwrite as
 * genisoimage copies: a file on disk is read straight into the buffer that is written from (no
 * copy between buffers), and memory stays at one buffer whatever the sizes.
 *
 * Why synchronous: an asynchronous fs call runs on libuv's thread pool, so every chunk crossed
 * threads twice and was copied into the page cache on another core than the one that had just
 * filled it. On the 2-core benchmark machine that cost 0.2-0.3 s of CPU per GiB more than reading
 * and writing in one thread (`npm run bench -- iso`), as much as separated kubeseed from
 * genisoimage. The event loop waits for each chunk, but gets a turn every 16 MiB.
 *
 * Why 1 MiB reads but 256 KiB writes: on ext4 (Linux 6.x, large folios) a write allocates
 * page-cache folios as large as the write, and on the benchmark VM 1 GiB written in pieces of
 * 512 KiB and more often took several times the system time (0.7-3 s against 0.4-0.5 s in 256 KiB
 * writes); on tmpfs the size made no difference. Over 4 GiB on ext4 the kernel's time (zeroing and
 * copying into fresh page-cache pages) varied threefold from run to run whatever the sizes tried,
 * 16 KiB to 1 MiB, so that case does not decide them.
 */
import { readSync, writeSync } from 'node:fs';

const STAGE = 1 << 20;
const WRITE_MAX = 256 * 1024;

export class BlockSink {
  private position = 0;
  private readonly stage = Buffer.allocUnsafe(STAGE);
  private fill = 0;

  constructor(
    private readonly fd: number,
    private readonly total: number,
    private readonly onProgress?: (written: number, total: number) => void,
  ) {}

  get offset(): number {
    return this.position + this.fill;
  }

  /** Copies `chunk` (which the caller may reuse afterwards) into the image. */
  write(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, STAGE - this.fill);
      this.stage.set(chunk.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === STAGE) this.flush();
    }
  }

  /**
   * Reads `length` bytes of the open file `fd`, from its start, straight into the image, showing
   * each piece to `observe` as it lands. Returns the bytes read: fewer when the file ends early. The event loop gets a turn every 16 MiB, so
   * that whatever else the process does (a progress bar, a signal) is not held for a whole file.
   */
  async readFrom(fd: number, length: number, observe?: (piece: Uint8Array) => void): Promise<number> {
    let pos = 0;
    let flushes = 0;
    while (pos < length) {
      const got = readSync(fd, this.stage, this.fill, Math.min(length - pos, STAGE - this.fill), pos);
      if (got === 0) break;
      observe?.(this.stage.subarray(this.fill, this.fill + got));
      this.fill += got;
      pos += got;
      if (this.fill === STAGE) {
        this.flush();
        if (++flushes % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return pos;
  }

  zeros(count: number): void {
    let left = count;
    while (left > 0) {
      const n = Math.min(left, STAGE - this.fill);
      this.stage.fill(0, this.fill, this.fill + n);
      this.fill += n;
      left -= n;
      if (this.fill === STAGE) this.flush();
    }
  }

  private flush(): void {
    let off = 0;
    while (off < this.fill) off += writeSync(this.fd, this.stage, off, Math.min(WRITE_MAX, this.fill - off), this.position + off);
    this.position += this.fill;
    this.fill = 0;
    this.onProgress?.(this.position, this.total);
  }

  finish(): void {
    if (this.fill > 0) this.flush();
  }
}
