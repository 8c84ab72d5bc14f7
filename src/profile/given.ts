/** The dotted paths a user wrote in the profile, so `explain` can tell explicit from default. */
export function givenPaths(input: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown, path: string): void => {
    if (path) out.add(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    }
  };
  walk(input, '');
  return out;
}
