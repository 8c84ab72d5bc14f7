/**
 * systemd unit files (and NetworkManager keyfiles, which share the `[section]` / `key=value`
 * syntax) built from a small typed object, so no renderer pastes unit text together by hand.
 * Lives here rather than in a shared src/render/systemd/ module so a parallel unit renderer
 * elsewhere cannot clash with it; fold the two together once both have landed.
 */

/** One `[Name]` section; entries keep their order and may repeat a key (After=, DNS=). */
export interface UnitSection {
  readonly name: string;
  readonly entries: readonly (readonly [key: string, value: string])[];
}

/** systemd keys are CamelCase; NetworkManager's bond options keep the kernel's underscores (lacp_rate). */
const KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;
const SECTION = /^[A-Za-z0-9 .-]+$/;

/** The unit text: sections separated by one blank line, a trailing newline. */
export function renderUnit(sections: readonly UnitSection[]): string {
  return sections
    .map((s) => {
      if (!SECTION.test(s.name)) throw new Error(`unit section name ${JSON.stringify(s.name)} is not valid`);
      const lines = s.entries.map(([k, v]) => {
        if (!KEY.test(k)) throw new Error(`unit key ${JSON.stringify(k)} in [${s.name}] is not valid`);
        // A newline would start a new key; systemd's line continuation is not worth the risk.
        if (/[\r\n]/.test(v)) throw new Error(`unit value for ${k} in [${s.name}] contains a line break`);
        return `${k}=${v}\n`;
      });
      return `[${s.name}]\n${lines.join('')}`;
    })
    .join('\n');
}
