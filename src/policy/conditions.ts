/**
 * Typing and compiling posture conditions. A condition's type is its attribute's declared type
 * (the attribute catalogue the compiler is given: built-in attributes and each registered vendor's table) or, for keys outside the catalogue (`custom:*`, other namespaces), the type its value is
 * written in; an ordering on a quoted string there compares versions. Mismatches that can be known from the policy
 * are compile errors; a value of the wrong type at decision time fails the condition with TYPE_MISMATCH.
 *
 * A compiled condition is one closure over pre-converted operands (numbers, parsed versions, instants, sets): a
 * decision reads the attribute, checks presence and staleness, and compares, allocating nothing for string,
 * number, boolean and version attributes.
 *
 * Fail closed: a missing attribute fails every operator except NOT SET; a stale one fails every operator,
 * NOT SET included (stale data cannot show that something is absent either).
 */
import { BUILT_IN_ATTRIBUTES, declaredType, orderedValues, type AttributeCatalogue, type AttributeType, type AttributeValue } from '../lib/attributes.ts';
import { parseCondition, type CompareOp, type ConditionOp, type Literal } from './condition-syntax.ts';
import type { SubjectAttribute } from './types.ts';
import { OrderedFailure, orderedComparer } from './ordered.ts';
import { compareToVersion, parseVersion } from './versions.ts';

/** Outcome of one condition for one device. */
export const HOLDS = 0;
export const FAILS = 1;
export const MISSING = 2;
export const STALE = 3;
export const MISMATCH = 4;
export type ConditionStatus = typeof HOLDS | typeof FAILS | typeof MISSING | typeof STALE | typeof MISMATCH;

export type Attributes = Readonly<Record<string, SubjectAttribute>>;

export interface CompiledCondition {
  readonly text: string;
  readonly attribute: string;
  readonly op: ConditionOp;
  /** The type the device's value must have, or null when any type will do (IS SET / NOT SET). */
  readonly valueType: AttributeType | null;
  /** `nowMs` is the decision's instant, read only by conditions relative to it (`now-1h`). */
  readonly test: (attrs: Attributes, nowMs: number) => ConditionStatus;
  /**
   * Only on conditions relative to the decision's instant: the first instant after `nowMs` at which `test` could
   * answer differently for these attributes (Infinity when it never will), so an answer can be kept until then.
   */
  readonly changesAt?: (attrs: Attributes, nowMs: number) => number;
}

export type ConditionCompileResult =
  | { ok: true; condition: CompiledCondition }
  | { ok: false; code: 'INVALID_CONDITION' | 'TYPE_MISMATCH'; message: string; offset: number };

class TypeFailure {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

/** The device's value against the operand: 0 equal, <0 less, >0 greater, NaN when the value has the wrong type. */
type Comparer = (v: AttributeValue, nowMs: number) => number;

/** Whether a comparison result satisfies the operator. One function (not one closure per operator) so the
 * engine can inline it into every condition. */
function satisfies(op: CompareOp | 'in' | 'not in', c: number): boolean {
  switch (op) {
    case '==':
    case 'in':
      return c === 0;
    case '!=':
    case 'not in':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

const ORDERING: ReadonlySet<ConditionOp> = new Set(['<', '<=', '>', '>=']);
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

function literalText(lit: Literal): string {
  return lit.kind === 'string' ? `'${lit.value}'` : lit.kind === 'boolean' ? String(lit.value) : lit.raw;
}

function refuseRelative(attr: string, type: AttributeType, lit: Literal): void {
  if (lit.kind === 'relative') {
    throw new TypeFailure(`${attr} is compared as a ${type}; ${lit.raw} is a time relative to the decision and compares only with timestamp attributes`, lit.offset);
  }
}

/** The type a literal suggests for an attribute without a declared type. */
function inferredType(lit: Literal, op: ConditionOp): AttributeType {
  if (lit.kind === 'bare') return 'version';
  if (lit.kind === 'relative') return 'timestamp';
  if (lit.kind === 'string') return ORDERING.has(op) ? 'version' : 'string';
  return lit.kind;
}

function operandType(attr: string, op: ConditionOp, values: Literal[], catalogue: AttributeCatalogue): AttributeType {
  const declared = declaredType(attr, catalogue);
  if (declared) return declared;
  const type = inferredType(values[0] as Literal, op);
  for (const lit of values) {
    const t = inferredType(lit, op);
    if (t !== type && !(type === 'version' && lit.kind !== 'boolean')) {
      throw new TypeFailure(`the list mixes ${type} and ${t} values; ${attr} holds one type`, lit.offset);
    }
  }
  return type;
}

function checkOperator(attr: string, type: AttributeType, op: ConditionOp, opOffset: number, catalogue: AttributeCatalogue): void {
  const declared = declaredType(attr, catalogue) ? `${attr} is a ${type} attribute` : `${attr} is compared as a ${type}`;
  if (type === 'boolean' && op !== '==' && op !== '!=') {
    throw new TypeFailure(`${declared}; booleans take only == or != (write ${attr} == true)`, opOffset);
  }
  if (type === 'string' && ORDERING.has(op)) {
    throw new TypeFailure(`${declared}; ${op} works on numbers, versions and timestamps, strings take ==, !=, IN, NOT IN`, opOffset);
  }
}

function mismatch(attr: string, type: AttributeType, lit: Literal, hint = ''): TypeFailure {
  return new TypeFailure(`${attr} is a ${type} attribute; ${literalText(lit)} is not a ${type}${hint}`, lit.offset);
}

function toNumber(attr: string, lit: Literal): number {
  if (lit.kind === 'number' && Number.isFinite(lit.value)) return lit.value;
  const hint = lit.kind === 'string' && /^-?\d+(\.\d+)?$/.test(lit.value) ? ` (write ${lit.value} without quotes)` : '';
  throw mismatch(attr, 'number', lit, hint);
}

function toVersion(attr: string, lit: Literal): string {
  if (lit.kind === 'string' && lit.value.trim() !== '') return lit.value;
  if (lit.kind === 'number' || lit.kind === 'bare') return lit.raw;
  throw mismatch(attr, 'version', lit, " (write versions like '23.4.2')");
}

function toInstant(attr: string, lit: Literal): number {
  if (lit.kind === 'string' && ISO_INSTANT.test(lit.value)) {
    const ms = Date.parse(lit.value);
    if (!Number.isNaN(ms)) return ms;
  }
  if (lit.kind === 'number' && Number.isFinite(lit.value)) return lit.value;
  throw mismatch(attr, 'timestamp', lit, " (write an ISO-8601 instant like '2026-01-31T00:00:00Z')");
}

function runtimeInstant(v: AttributeValue): number {
  return typeof v === 'string' ? Date.parse(v) : typeof v === 'number' ? v : NaN;
}

/** A comparer against one operand. */
function comparer(attr: string, type: AttributeType, lit: Literal): Comparer {
  if (type !== 'timestamp') refuseRelative(attr, type, lit);
  switch (type) {
    case 'string': {
      if (lit.kind !== 'string') throw mismatch(attr, type, lit, ' (put text in quotes)');
      const s = lit.value;
      return (v) => (typeof v === 'string' ? (v === s ? 0 : 1) : NaN);
    }
    case 'number': {
      const n = toNumber(attr, lit);
      return (v) => (typeof v === 'number' ? v - n : NaN);
    }
    case 'boolean': {
      if (lit.kind !== 'boolean') throw mismatch(attr, type, lit, ' (write true or false)');
      const b = lit.value;
      return (v) => (typeof v === 'boolean' ? (v === b ? 0 : 1) : NaN);
    }
    case 'version': {
      const parsed = parseVersion(toVersion(attr, lit));
      return (v) =>
        typeof v === 'string' ? compareToVersion(v, parsed) : typeof v === 'number' ? compareToVersion(String(v), parsed) : NaN;
    }
    case 'timestamp': {
      if (lit.kind === 'relative') {
        const offsetMs = lit.offsetMs;
        // A missing or unusable instant (NaN) makes the comparison a mismatch: it fails closed.
        return (v, nowMs) => runtimeInstant(v) - (nowMs + offsetMs);
      }
      const ms = toInstant(attr, lit);
      return (v) => runtimeInstant(v) - ms;
    }
  }
}

/** A membership comparer: 0 when the value is in the list, 1 when not, NaN on a type mismatch. */
function membership(attr: string, type: AttributeType, values: Literal[]): Comparer {
  for (const lit of values) {
    if (lit.kind === 'relative') throw new TypeFailure(`IN and NOT IN take fixed values; compare with ${lit.raw} using <, <=, > or >=`, lit.offset);
  }
  switch (type) {
    case 'string':
    case 'number': {
      const set = new Set<AttributeValue>(values.map((lit) => (type === 'number' ? toNumber(attr, lit) : stringOperand(attr, lit))));
      return (v) => (typeof v === type ? (set.has(v) ? 0 : 1) : NaN);
    }
    case 'version': {
      const parsed = values.map((lit) => parseVersion(toVersion(attr, lit)));
      return (v) => {
        const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
        if (s === null) return NaN;
        for (const p of parsed) if (compareToVersion(s, p) === 0) return 0;
        return 1;
      };
    }
    case 'timestamp': {
      const set = new Set(values.map((lit) => toInstant(attr, lit)));
      return (v) => {
        const t = runtimeInstant(v);
        return Number.isNaN(t) ? NaN : set.has(t) ? 0 : 1;
      };
    }
    case 'boolean':
      throw new TypeFailure(`${attr} is a boolean; booleans take only == or !=`, (values[0] as Literal).offset);
  }
}

function stringOperand(attr: string, lit: Literal): string {
  if (lit.kind !== 'string') throw mismatch(attr, 'string', lit, ' (put text in quotes)');
  return lit.value;
}

function presence(attr: string, wantSet: boolean): (attrs: Attributes, nowMs: number) => ConditionStatus {
  return (attrs) => {
    const a = attrs[attr];
    if (a === undefined) return wantSet ? MISSING : HOLDS;
    if (a.stale === true) return STALE;
    return wantSet ? HOLDS : FAILS;
  };
}

function comparison(attr: string, compare: Comparer, op: CompareOp | 'in' | 'not in'): (attrs: Attributes, nowMs: number) => ConditionStatus {
  return (attrs, nowMs) => {
    const a = attrs[attr];
    if (a === undefined) return MISSING;
    if (a.stale === true) return STALE;
    const c = compare(a.value, nowMs);
    if (c !== c) return MISMATCH;
    return satisfies(op, c) ? HOLDS : FAILS;
  };
}

/**
 * When `attr <op> now+offset` can next change its answer: the comparison is positive before the instant
 * `value - offset`, zero at it and negative after, so the answer may change there and 1 ms later. A missing,
 * stale or unusable value fails the same way at every instant.
 */
function relativeChange(attr: string, offsetMs: number): (attrs: Attributes, nowMs: number) => number {
  return (attrs, nowMs) => {
    const a = attrs[attr];
    if (a === undefined || a.stale === true) return Infinity;
    const at = runtimeInstant(a.value) - offsetMs;
    if (at !== at) return Infinity;
    return at > nowMs ? at : at + 1 > nowMs ? at + 1 : Infinity;
  };
}

/**
 * Parses, types and compiles one condition against an attribute catalogue. Never throws; problems carry an offset
 * inside `text`.
 */
export function compileCondition(text: string, catalogue: AttributeCatalogue = BUILT_IN_ATTRIBUTES): ConditionCompileResult {
  const syntax = parseCondition(text);
  if (!syntax.ok) return { ok: false, code: 'INVALID_CONDITION', message: syntax.message, offset: syntax.offset };
  const { attr, op, values, opOffset } = syntax.ast;
  const base = { text, attribute: attr, op };
  try {
    if (op === 'is set' || op === 'not set') {
      return { ok: true, condition: { ...base, valueType: null, test: presence(attr, op === 'is set') } };
    }
    if (op === 'truthy') {
      const declared = declaredType(attr, catalogue);
      if (declared && declared !== 'boolean') {
        throw new TypeFailure(`${attr} is a ${declared} attribute; only a boolean attribute can stand alone (add an operator)`, 0);
      }
      const test = comparison(attr, (v) => (typeof v === 'boolean' ? (v ? 0 : 1) : NaN), '==');
      return { ok: true, condition: { ...base, valueType: 'boolean', test } };
    }
    const scale = orderedValues(attr);
    if (scale) return { ok: true, condition: { ...base, valueType: 'string', test: comparison(attr, orderedComparer(attr, scale, op, values), op) } };
    const type = operandType(attr, op, values, catalogue);
    checkOperator(attr, type, op, opOffset, catalogue);
    const compare = op === 'in' || op === 'not in' ? membership(attr, type, values) : comparer(attr, type, values[0] as Literal);
    const condition: CompiledCondition = { ...base, valueType: type, test: comparison(attr, compare, op) };
    const lit = values[0] as Literal;
    if (lit.kind === 'relative') return { ok: true, condition: { ...condition, changesAt: relativeChange(attr, lit.offsetMs) } };
    return { ok: true, condition };
  } catch (err) {
    if (err instanceof TypeFailure || err instanceof OrderedFailure) return { ok: false, code: 'TYPE_MISMATCH', message: err.message, offset: err.offset };
    throw err;
  }
}
