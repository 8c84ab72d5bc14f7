/** Parses `isoinfo -l` listings into {directory → entries} so tests can compare them exactly. */
export interface ListedEntry {
  readonly mode: string;
  readonly size: number;
  readonly block: number;
  readonly name: string;
}

const ENTRY =
  /^([-a-zA-Z]{10})\s+\d+\s+\d+\s+\d+\s+(\d+)\s+\w{3}\s+\d+\s+\d{4}\s+\[\s*(\d+)\s+[0-9A-F]+\]?\s+(.*)$/;

export function parseListing(stdout: string): Map<string, ListedEntry[]> {
  const dirs = new Map<string, ListedEntry[]>();
  let current: ListedEntry[] | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^Directory listing of (.*)$/.exec(line);
    if (head) {
      current = [];
      dirs.set(head[1] as string, current);
      continue;
    }
    const m = ENTRY.exec(line);
    if (m && current) {
      // isoinfo prints one space after every name.
      current.push({ mode: m[1] as string, size: Number(m[2]), block: Number(m[3]), name: (m[4] as string).replace(/ $/, '') });
    } else if (line.trim() !== '') {
      throw new Error(`unparsed isoinfo line: ${JSON.stringify(line)}`);
    }
  }
  return dirs;
}

/** Directory → sorted "mode name" lines, without the "." and ".." entries. */
export function summarize(listing: Map<string, ListedEntry[]>, withMode: boolean): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [dir, entries] of listing) {
    out[dir] = entries
      .filter((e) => e.name !== '.' && e.name !== '..')
      .map((e) => (withMode ? `${e.mode} ${e.name}` : e.name))
      .sort();
  }
  return out;
}
