/**
 * Source positions: turns offsets in the policy text into 1-based line and column, and collects errors so a
 * policy reports every problem at once.
 */
import type { PolicyError, PolicyErrorCode } from './types.ts';

/** Offset → line/column over one text. Built once per compile; lookups are a binary search. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13 && text.charCodeAt(i + 1) !== 10) this.starts.push(i + 1);
    }
  }

  position(offset: number): { line: number; column: number } {
    const o = Math.max(0, Math.floor(offset) || 0);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - (this.starts[lo] as number) + 1 };
  }
}

/** Errors kept with their position; past this many only the count grows, so a huge bad file costs no memory. */
export const MAX_KEPT_ERRORS = 1000;

export class ErrorSink {
  readonly errors: PolicyError[] = [];
  private total = 0;
  constructor(private readonly lines: LineIndex) {}

  add(code: PolicyErrorCode, message: string, offset: number, path: string): void {
    this.total++;
    if (this.errors.length >= MAX_KEPT_ERRORS) return;
    const { line, column } = this.lines.position(offset);
    this.errors.push({ code, message, line, column, path });
  }

  position(offset: number): { line: number; column: number } {
    return this.lines.position(offset);
  }

  get count(): number {
    return this.total;
  }
}

/** A value from the policy text with where it was written. */
export interface Located<T> {
  value: T;
  /** Offset of the JSON value (for strings, of the opening quote). */
  offset: number;
  /** Offset of the string's content when it holds no escapes, so positions inside it are exact; else null. */
  contentOffset: number | null;
  path: string;
}

/** Path segment for an object key: `.name` for plain identifiers, `["odd:key"]` otherwise. */
export function keyPath(parent: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? (parent ? `${parent}.${key}` : key) : `${parent}[${JSON.stringify(key)}]`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** Sorts errors by position so the output reads top to bottom. Stable for equal positions. */
export function sortErrors(errors: PolicyError[]): PolicyError[] {
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.line - b.e.line || a.e.column - b.e.column || a.i - b.i)
    .map((x) => x.e);
}
