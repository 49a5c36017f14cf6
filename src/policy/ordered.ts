/**
 * Conditions on an ordered attribute (a string with a fixed scale, like `user:riskLevel`: none < low < medium <
 * high). Values outside the scale are compile errors naming the scale; `<`, `<=`, `>`, `>=` compare positions; a
 * device value outside the scale is a type mismatch, so it fails closed.
 */
import type { AttributeValue } from '../lib/attributes.ts';
import type { ConditionOp, Literal } from './condition-syntax.ts';

export class OrderedFailure {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

/** The device's value against the operand: 0 equal, <0 lower, >0 higher, NaN when not on the scale. */
export type OrderedComparer = (v: AttributeValue) => number;

function position(attr: string, scale: readonly string[], lit: Literal): number {
  const at = lit.kind === 'string' ? scale.indexOf(lit.value) : -1;
  if (at < 0) {
    const shown = lit.kind === 'string' ? `'${lit.value}'` : 'raw' in lit ? lit.raw : String(lit.value);
    throw new OrderedFailure(`${attr} is one of ${scale.map((s) => `'${s}'`).join(' < ')}; ${shown} is not one of them`, lit.offset);
  }
  return at;
}

/** A comparer for one operand (comparisons) or for a list (IN / NOT IN: 0 when in the list, 1 when not). */
export function orderedComparer(attr: string, scale: readonly string[], op: ConditionOp, values: readonly Literal[]): OrderedComparer {
  const rank = (v: AttributeValue) => (typeof v === 'string' ? scale.indexOf(v) : -1);
  if (op === 'in' || op === 'not in') {
    const members = new Set(values.map((lit) => position(attr, scale, lit)));
    return (v) => {
      const r = rank(v);
      return r < 0 ? NaN : members.has(r) ? 0 : 1;
    };
  }
  const operand = position(attr, scale, values[0] as Literal);
  return (v) => {
    const r = rank(v);
    return r < 0 ? NaN : r - operand;
  };
}
