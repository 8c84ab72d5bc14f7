/**
 * Reads a profile file: YAML, then the schema, then the whole-profile checks. Returns diagnostics
 * already located at file:line:col (from the yaml package's document, made when there are any);
 * never throws for bad input.
 */
import { readFileSync } from 'node:fs';
import { isAlias, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { readFastYaml } from './fast-yaml.js';
import { givenPaths } from './given.js';
import { error, hasErrors, type Diagnostic, type Located } from './diagnostics.js';
import { locate } from './locate.js';
import { ProfileSchema, type Profile } from './schema/v1alpha1.js';
import { validateProfile } from './validate.js';
import type { VersionTable } from '../plan/versions.js';
import { zodIssuesToDiagnostics } from './zod-issues.js';

export interface LoadResult {
  /** Present when there are no errors (warnings may remain). */
  readonly profile?: Profile;
  /** Dotted paths the user wrote (the rest are defaults). */
  readonly given?: ReadonlySet<string>;
  readonly diagnostics: readonly Located[];
}

interface Parsed {
  readonly doc: Document;
  readonly lines: LineCounter;
}

function parseYaml(text: string): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  return { doc, lines };
}

/** Where the first alias that resolves to nothing is, else the first alias (0 when there is none). */
function aliasAt(doc: Document): number {
  let first: number | undefined;
  let unresolved: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (!isAlias(node)) return undefined;
      const at = node.range?.[0] ?? 0;
      first ??= at;
      if (node.resolve(doc) === undefined) {
        unresolved = at;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return unresolved ?? first ?? 0;
}

/** Parses profile text; `file` only names it in diagnostics; `table` is the shipped one unless a test gives its own. */
export function parseProfile(text: string, file: string, table?: VersionTable): LoadResult {
  // Most profiles are plain YAML that fast-yaml reads in a few milliseconds; the yaml package's
  // document (node ranges for file:line:col) is built only when something must be located.
  const fast = readFastYaml(text);
  let parsed: Parsed | undefined;
  let input: unknown;
  if (fast) {
    input = fast.value;
  } else {
    parsed = parseYaml(text);
    const { doc, lines } = parsed;
    if (doc.errors.length > 0) {
      return {
        diagnostics: doc.errors.map((e) => {
          const pos = lines.linePos(e.pos[0]);
          const first = e.message.split('\n')[0] ?? e.message;
          return { severity: 'error', code: 'yaml-syntax', path: [], message: `YAML: ${first}`, file, line: pos.line, col: pos.col };
        }),
      };
    }
    try {
      input = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      // An alias before its anchor, or aliases multiplied beyond the limit: name the alias.
      const pos = lines.linePos(aliasAt(doc));
      const first = (e as Error).message.split('\n')[0]!;
      return { diagnostics: [{ severity: 'error', code: 'yaml-alias', path: [], message: `YAML: ${first}`, file, line: pos.line, col: pos.col }] };
    }
  }
  const where = (ds: readonly Diagnostic[]): Located[] => {
    if (ds.length === 0) return [];
    const { doc, lines } = (parsed ??= parseYaml(text));
    return ds.map((d) => locate(d, file, doc, lines));
  };
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { diagnostics: where([error('not-a-mapping', [], 'a profile is a YAML mapping with apiVersion, kind, metadata and spec')]) };
  }
  const result = ProfileSchema.safeParse(input);
  if (!result.success) {
    return { diagnostics: where(zodIssuesToDiagnostics(ProfileSchema, result.error.issues, input)) };
  }
  const semantic = validateProfile(result.data, table);
  if (hasErrors(semantic)) return { diagnostics: where(semantic) };
  return { profile: result.data, given: givenPaths(input), diagnostics: where(semantic) };
}

export function loadProfile(path: string, table?: VersionTable): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return { diagnostics: [{ severity: 'error', code: 'unreadable', path: [], message: `cannot read profile: ${reason}`, file: path, line: 1, col: 1 }] };
  }
  return parseProfile(text, path, table);
}
