/**
 * Turns a diagnostic's profile path into file:line:col from the YAML document's node ranges,
 * walking up to the nearest parent that exists. Only called once there is something to print.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { Diagnostic, Located, PathSegment } from './diagnostics.js';

/** Where a path points in the document; `keyOf` points at a map key rather than its value. */
function nodeAt(doc: Document, path: readonly PathSegment[], keyOf: boolean): Node | undefined {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return undefined;
      if (last && keyOf) return pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else {
      return undefined;
    }
    if (node === null || node === undefined) return undefined;
  }
  return node as Node;
}

/** Finds the line and column of a diagnostic, walking up the path until a node exists. */
export function locate(
  d: Diagnostic,
  file: string,
  doc: Document | undefined,
  lines: LineCounter | undefined,
): Located {
  if (doc && lines) {
    for (let n = d.path.length; n >= 0; n--) {
      const node = nodeAt(doc, d.path.slice(0, n), d.atKey === true && n === d.path.length);
      if (node?.range) {
        const { line, col } = lines.linePos(node.range[0]);
        return { ...d, file, line, col };
      }
    }
  }
  return { ...d, file, line: 1, col: 1 };
}
