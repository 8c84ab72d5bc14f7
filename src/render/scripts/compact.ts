/**
 * Shell scripts without their comment and blank lines, for user-data that must fit a small limit
 * (EC2's 16 KiB): a quarter of a worker's scripts is comments. Only whole lines go, a comment or
 * nothing but blanks:
 * the `#!` line and `# shellcheck` directives stay, and so does any text after code on a line.
 * No template writes a here-document or a multi-line string with a line starting with `#`
 * (test/render/scripts/compact.test.ts holds every script's bash parse unchanged).
 */
import type { NodeFile } from '../files.js';

const SHEBANG = '#!/usr/bin/env bash\n';
const COMMENT_LINE = /^[ \t]*(#(?! shellcheck )[^\n]*)?\n/gm;

export function stripCommentLines(script: string): string {
  return SHEBANG + script.slice(SHEBANG.length).replace(COMMENT_LINE, '');
}

/** The file without its comment lines when it is a bash script; any other file as it is. */
export function withoutCommentLines(file: NodeFile): NodeFile {
  if (typeof file.content !== 'string' || !file.content.startsWith(SHEBANG)) return file;
  return { ...file, content: stripCommentLines(file.content) };
}
