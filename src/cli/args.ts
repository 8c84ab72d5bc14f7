/** Command-line parsing on node:util parseArgs; usage errors are exit code 2. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

/** --help was given: main prints the command's usage (this message) and exits 0. */
export class HelpRequest extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** The command's options and positionals; throws HelpRequest on --help, UsageError on bad arguments. */
export function parse<O extends Options>(argv: string[], options: O, usage: string) {
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError(`${(e as Error).message}\n\n${usage}`);
    }
  })();
  if ((parsed.values as { help?: boolean }).help) throw new HelpRequest(usage);
  return parsed;
}

export function onePositional(positionals: string[], what: string, usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one ${what}, got ${positionals.length}\n\n${usage}`);
  return positionals[0]!;
}

/**
 * An http(s) base URL ending in "/". It is written into iPXE scripts and dnsmasq's configuration,
 * so it holds no white space, quotes, "$", "#", credentials or query, only what a URL path needs.
 */
const BASE_URL = /^https?:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?(\/[A-Za-z0-9._~%/-]*)?$/;

export function baseUrl(flag: string, url: string): string {
  if (!BASE_URL.test(url)) throw new UsageError(`${flag} must be an http(s) URL without query, credentials or spaces, like http://192.168.10.2:8080/, got ${JSON.stringify(url)}`);
  return url.endsWith('/') ? url : `${url}/`;
}
