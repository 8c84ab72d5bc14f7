/**
 * What a shell template may contain besides text: `{{sh path}}` and `{{shArray path}}` (the only
 * ways a value reaches a script, each quoted), and the block helpers `if`, `unless` and `each`
 * over a path (they emit no value themselves; what their bodies emit is checked the same way).
 * Handlebars' own options cannot say this: `knownHelpersOnly` restricts helper calls only, and a
 * bare `{{vip}}` is a plain lookup that renders the value unquoted. So every template's syntax
 * tree is walked here, at build time (scripts/copy-assets.mjs) and when the sources compile one.
 */
// The AST types are the global namespace hbs that handlebars' typings declare.
import type {} from 'handlebars';

type Node = hbs.AST.Node;
type Expression = hbs.AST.Expression;

const VALUE_HELPERS: ReadonlySet<string> = new Set(['sh', 'shArray']);
const BLOCK_HELPERS: ReadonlySet<string> = new Set(['if', 'unless', 'each']);

function at(node: Node): string {
  return `${node.loc.start.line}:${node.loc.start.column + 1}`;
}

function isPath(e: Expression | undefined): boolean {
  return e !== undefined && e.type === 'PathExpression' && (e as hbs.AST.PathExpression).data !== true;
}

/** A call `{{helper path}}` (or `{{#helper path}}`): one plain path, no hash, no sub-expression. */
function callProblem(node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement, allowed: ReadonlySet<string>): string | undefined {
  // A literal head ({{"x"}}, {{1}}) has an `original` too, though the typings leave it out.
  const name = String((node.path as { original?: unknown }).original);
  const shown = `{{${node.type === 'BlockStatement' ? '#' : ''}${name}${node.params.length > 0 ? ' …' : ''}}}`;
  if (!allowed.has(name)) {
    return node.type === 'BlockStatement'
      ? `${at(node)} ${shown}: the only block helpers allowed are ${[...allowed].join(', ')}`
      : `${at(node)} ${shown}: a value reaches a script only through ${[...allowed].join(' or ')}, which quote it`;
  }
  if (node.params.length !== 1 || !isPath(node.params[0]) || node.hash) return `${at(node)} ${shown}: ${name} takes exactly one value path`;
  return undefined;
}

/** Every construct in a parsed template that could put an unquoted value into the script. */
export function templateProblems(program: hbs.AST.Program): string[] {
  const problems: string[] = [];
  const walk = (p: hbs.AST.Program | undefined): void => {
    for (const node of p?.body ?? []) {
      switch (node.type) {
        case 'ContentStatement':
        case 'CommentStatement':
          break;
        case 'MustacheStatement': {
          const m = node as hbs.AST.MustacheStatement;
          const problem = callProblem(m, VALUE_HELPERS);
          if (problem) problems.push(problem);
          break;
        }
        case 'BlockStatement': {
          const b = node as hbs.AST.BlockStatement;
          const problem = callProblem(b, BLOCK_HELPERS);
          if (problem) problems.push(problem);
          walk(b.program);
          walk(b.inverse);
          break;
        }
        default:
          problems.push(`${at(node)} ${node.type} is not allowed in a shell template`);
      }
    }
  };
  walk(program);
  return problems;
}
