/**
 * What a request asks for, decided from its request target alone, before any file is touched.
 * The path is split at "/" first and each segment percent-decoded after, so an encoded "/"
 * (%2f) or dot (%2e) cannot make a separator or a ".." that was not in the raw target; a
 * segment that decodes to "", ".", "..", or holds "/", "\" or NUL is refused with 400. What is
 * left are plain names, which the file opener still checks against the served directory
 * (symbolic links, open-file.ts).
 */
import { MAC, UUID } from './machine-index.js';

export type Route =
  /** GET /boot.ipxe: the script that chains to /ipxe with the machine's MAC and UUID. */
  | { readonly kind: 'boot' }
  /** GET /ipxe?mac=…&uuid=…: the machine's own script. */
  | { readonly kind: 'ipxe'; readonly mac?: string; readonly uuid?: string }
  /** GET /nodes/<node>/<file>. */
  | { readonly kind: 'node'; readonly node: string; readonly file: string }
  /** GET /netboot/…: the tree's iPXE scripts (netboot/boot.ipxe, mac/, uuid/). */
  | { readonly kind: 'netboot'; readonly segments: readonly string[] }
  /** GET /assets/…: a boot asset. */
  | { readonly kind: 'asset'; readonly segments: readonly string[] }
  | { readonly kind: 'refused'; readonly status: 400 | 404; readonly reason: string };

const refused = (status: 400 | 404, reason: string): Route => ({ kind: 'refused', status, reason });

/** Decoded path segments, or why the path is refused. */
export function pathSegments(rawPath: string): string[] | Route {
  if (!rawPath.startsWith('/')) return refused(400, 'the request target is not a path');
  if (rawPath.includes('\\')) return refused(400, 'a backslash in the path');
  if (rawPath === '/') return [];
  const raw = rawPath.slice(1).split('/');
  const out: string[] = [];
  for (const r of raw) {
    let s: string;
    try {
      s = decodeURIComponent(r);
    } catch {
      return refused(400, 'a malformed percent-encoding in the path');
    }
    if (s === '' || s === '.' || s === '..') return refused(400, 'an empty, "." or ".." segment in the path');
    if (/[/\\\0]/.test(s)) return refused(400, 'an encoded "/", "\\" or NUL in the path');
    out.push(s);
  }
  return out;
}

/** Lower-case colon form of a MAC written with ":" or "-" in either case; undefined when it is none. */
export function normalMac(s: string): string | undefined {
  const m = s.toLowerCase().replaceAll('-', ':');
  return MAC.test(m) ? m : undefined;
}

export function route(target: string): Route {
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const segments = pathSegments(rawPath);
  if (!Array.isArray(segments)) return segments;
  const [first, ...rest] = segments;
  if (first === 'boot.ipxe' && rest.length === 0) return { kind: 'boot' };
  if (first === 'ipxe' && rest.length === 0) {
    const params = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
    const macText = params.get('mac') ?? '';
    const uuidText = (params.get('uuid') ?? '').toLowerCase();
    const mac = macText === '' ? undefined : normalMac(macText);
    if (macText !== '' && mac === undefined) return refused(400, `mac ${JSON.stringify(macText.slice(0, 40))} is not a MAC like 52:54:00:00:10:11`);
    // Firmware without an SMBIOS UUID leaves iPXE's ${uuid} empty: no UUID, not a bad one.
    if (uuidText !== '' && !UUID.test(uuidText)) return refused(400, `uuid ${JSON.stringify(uuidText.slice(0, 40))} is not a UUID`);
    if (mac === undefined && uuidText === '') return refused(400, 'neither mac nor uuid given');
    return { kind: 'ipxe', ...(mac ? { mac } : {}), ...(uuidText ? { uuid: uuidText } : {}) };
  }
  if (first === 'nodes' && rest.length === 2) return { kind: 'node', node: rest[0]!, file: rest[1]! };
  if (first === 'netboot' && rest.length > 0) return { kind: 'netboot', segments: rest };
  if (first === 'assets' && rest.length > 0) return { kind: 'asset', segments: rest };
  return refused(404, 'nothing is served there');
}
