/**
 * systemd unit files as typed objects, rendered deterministically. A unit file is INI-like
 * (systemd.syntax(7)): `[Section]` headers, `Key=value` lines, list directives repeated. It is
 * built as data and printed here, not templated, so a value can never break the line structure.
 */

/** A directive's value: a list repeats the key, one line per item (After=, Wants=, ...). */
export type UnitValue = string | number | boolean | readonly string[];

/** One section's directives, printed in insertion order. */
export type UnitSection = Readonly<Record<string, UnitValue>>;

/**
 * A unit: sections in the order systemd's own man pages list them ([Unit] first, [Install]
 * last). Sections not named here are not accepted: typos in a section name are silently
 * ignored by systemd, so they must not reach a node.
 */
export interface UnitFile {
  /** Lines put at the top as `# ...` comments. */
  readonly comment?: readonly string[];
  readonly Unit?: UnitSection;
  readonly Service?: UnitSection;
  readonly Socket?: UnitSection;
  readonly Timer?: UnitSection;
  readonly Path?: UnitSection;
  readonly Mount?: UnitSection;
  readonly Install?: UnitSection;
}

const SECTION_ORDER = ['Unit', 'Service', 'Socket', 'Timer', 'Path', 'Mount', 'Install'] as const;
const KEY = /^[A-Za-z][A-Za-z0-9]*$/;

function valueText(key: string, v: string | number | boolean): string {
  const s = typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);
  // A newline would start a new directive; a trailing backslash would join the next line.
  if (/[\n\r]/.test(s) || s.endsWith('\\')) throw new Error(`systemd unit: ${key}= value cannot contain a newline or end in a backslash: ${JSON.stringify(s)}`);
  return s;
}

export function renderUnit(unit: UnitFile): string {
  const out: string[] = [];
  for (const line of unit.comment ?? []) {
    if (/[\n\r]/.test(line)) throw new Error('systemd unit: comment lines cannot contain newlines');
    out.push(line === '' ? '#' : `# ${line}`);
  }
  for (const name of SECTION_ORDER) {
    const section = unit[name];
    if (!section) continue;
    if (out.length > 0) out.push('');
    out.push(`[${name}]`);
    for (const [key, value] of Object.entries(section)) {
      if (!KEY.test(key)) throw new Error(`systemd unit: bad directive name ${JSON.stringify(key)} in [${name}]`);
      if (Array.isArray(value)) {
        for (const item of value as readonly string[]) out.push(`${key}=${valueText(key, item)}`);
      } else {
        out.push(`${key}=${valueText(key, value as string | number | boolean)}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}
