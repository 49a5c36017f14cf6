/** Command-line flag values (pure): refused naming the flag and saying what to give instead. */
import { PosternError } from './errors.ts';

/** A whole number from 0 to `max` given to `--<name>`. */
export function wholeNumberFlag(name: string, value: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new PosternError('VALIDATION_FAILED', `--${name} must be a whole number from 0 to ${max}, not ${JSON.stringify(value)}.`);
  }
  return Number(value);
}
