/**
 * Turns zod issues into diagnostics with the profile path. Unknown keys get one diagnostic each,
 * pointing at the key, with the closest known key of that object as a suggestion.
 */
import type { z } from 'zod';
import { error, type Diagnostic, type PathSegment } from './diagnostics.js';
import { closest } from './suggest.js';

type AnySchema = z.ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: AnySchema[];
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
}

function def(s: AnySchema): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly']);

/** Looks through defaults and optionals; for a union, the object member (mirror endpoints). */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (;;) {
    const d = def(s);
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else if (d.type === 'union' && d.options) return d.options.map(unwrap).find((o) => def(o).type === 'object') ?? s;
    else return s;
  }
}

/** The keys the object schema at `path` knows. */
function knownKeys(schema: AnySchema, path: readonly PathSegment[]): string[] {
  let cur: AnySchema | undefined = schema;
  for (const seg of path) {
    const d: Def = def(unwrap(cur));
    if (d.type === 'object' && d.shape) cur = d.shape[String(seg)];
    else if (d.type === 'array') cur = d.element;
    else if (d.type === 'record') cur = d.valueType;
    else return [];
    if (!cur) return [];
  }
  const d = def(unwrap(cur));
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let cur = input;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

export function zodIssuesToDiagnostics(schema: AnySchema, issues: readonly z.core.$ZodIssue[], input: unknown): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, path);
      for (const key of issue.keys) {
        const hint = closest(key, known);
        out.push({
          ...error('unknown-key', [...path, key], `unknown key${hint ? `; did you mean "${hint}"?` : ''}${known.length ? ` (known: ${known.join(', ')})` : ''}`),
          atKey: true,
        });
      }
      continue;
    }
    const actual = valueAt(input, path);
    if (issue.code === 'invalid_type') {
      out.push(error('invalid-type', path, actual === undefined ? `required (${issue.expected})` : `expected ${issue.expected}, got ${describe(actual)}`));
    } else if (issue.code === 'invalid_value') {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
      out.push(error('invalid-value', path, actual === undefined ? `required (one of ${allowed})` : `must be one of ${allowed}, got ${describe(actual)}`));
    } else if (issue.code === 'invalid_union') {
      out.push(error('invalid-value', path, `got ${describe(actual)}: ${issue.errors.flat().map((e) => e.message).filter((m, i, a) => a.indexOf(m) === i).join('; or ')}`));
    } else {
      out.push(error('invalid-value', path, issue.message));
    }
  }
  return out;
}
