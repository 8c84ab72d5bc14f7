/**
 * $SOURCE_DATE_EPOCH (reproducible-builds.org): the time every timestamp kubeseed writes is set
 * to, in whole seconds since 1970. Read here, at the edge, for compile, explain and bundle alike;
 * the stages below take the number.
 */
import { UsageError } from './args.js';

/** The value when set; undefined when unset or empty. A malformed value is bad input (exit 2). */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}
