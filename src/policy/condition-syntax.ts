/**
 * The grammar of one posture condition, the strings inside a posture:
 *
 *   ATTR (== | != | < | <= | > | >=) VALUE
 *   ATTR IN (VALUE, ...)        ATTR NOT IN (VALUE, ...)     lists in ( ) or [ ]
 *   ATTR IS SET                 ATTR NOT SET                 (IS NOT SET is read as NOT SET)
 *   ATTR                        a boolean attribute alone means ATTR == true
 *
 * VALUE is a single- or double-quoted string, a number, true or false, an unquoted version (23.4.2) that is
 * only meaningful against version attributes, or a time relative to the decision: `now`, `now-1h`, `now+30m`
 * (units s, m, h, d, w), only meaningful against timestamp attributes (`<ns>:lastSeenAt > now-1h`).
 * Keywords are case-insensitive. Types are checked in conditions.ts.
 */
import { ATTRIBUTE_KEY_PATTERN } from '../lib/attributes.ts';

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type ConditionOp = CompareOp | 'in' | 'not in' | 'is set' | 'not set' | 'truthy';

export type Literal =
  | { kind: 'string'; value: string; offset: number }
  | { kind: 'number'; value: number; raw: string; offset: number }
  /** Unquoted text that starts with a digit but is not a plain number, like 23.4.2. */
  | { kind: 'bare'; raw: string; offset: number }
  | { kind: 'boolean'; value: boolean; offset: number }
  /** `now`, `now-1h`, `now+30m`: the decision's instant plus `offsetMs`. */
  | { kind: 'relative'; offsetMs: number; raw: string; offset: number };

const RELATIVE = /^now(?:([+-])(\d{1,6})([smhdw]))?$/i;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export interface ConditionAst {
  attr: string;
  op: ConditionOp;
  /** One literal for comparisons, the list for IN / NOT IN, none otherwise. */
  values: Literal[];
  /** Offset of the operator inside the condition text (0 for a bare attribute). */
  opOffset: number;
}

export type ConditionSyntax = { ok: true; ast: ConditionAst } | { ok: false; message: string; offset: number };

type Token =
  | { t: 'word'; v: string; o: number }
  | { t: 'string'; v: string; o: number }
  | { t: 'num'; v: string; o: number }
  | { t: 'op'; v: string; o: number }
  | { t: 'punct'; v: string; o: number }
  | { t: 'end'; v: ''; o: number };

class SyntaxFailure {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

const PURE_NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
const WORD_STOP = /[\s()[\],=!<>'"]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      let value = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (i >= text.length) throw new SyntaxFailure(`string starting here is not closed (missing ${c})`, start);
      i++;
      tokens.push({ t: 'string', v: value, o: start });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      i++;
      while (i < text.length && /[0-9A-Za-z._+-]/.test(text[i] as string)) i++;
      tokens.push({ t: 'num', v: text.slice(start, i), o: start });
    } else if ('()[],'.includes(c)) {
      tokens.push({ t: 'punct', v: c, o: start });
      i++;
    } else if ('=!<>'.includes(c)) {
      const two = text.slice(i, i + 2);
      const op = ['==', '!=', '<=', '>='].includes(two) ? two : c;
      if (op === '=') throw new SyntaxFailure("'=' is not an operator; write '=='", start);
      if (op === '!') throw new SyntaxFailure("'!' is not an operator; write '!=' or NOT IN", start);
      tokens.push({ t: 'op', v: op, o: start });
      i += op.length;
    } else {
      while (i < text.length && !WORD_STOP.test(text[i] as string)) i++;
      tokens.push({ t: 'word', v: text.slice(start, i), o: start });
    }
  }
  tokens.push({ t: 'end', v: '', o: text.length });
  return tokens;
}

const OPERATOR_LIST = '==, !=, <, <=, >, >=, IN, NOT IN, IS SET or NOT SET';

function describe(tok: Token): string {
  return tok.t === 'end' ? 'the end of the condition' : `'${tok.v}'`;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private next(): Token {
    const tok = this.tokens[this.pos] as Token;
    if (tok.t !== 'end') this.pos++;
    return tok;
  }

  private isWord(tok: Token, word: string): boolean {
    return tok.t === 'word' && tok.v.toUpperCase() === word;
  }

  condition(): ConditionAst {
    const first = this.next();
    if (first.t === 'end') throw new SyntaxFailure('the condition is empty', 0);
    if (first.t !== 'word' || !ATTRIBUTE_KEY_PATTERN.test(first.v)) {
      throw new SyntaxFailure(
        `a condition starts with an attribute key like node:os (namespace:name), not ${describe(first)}`,
        first.o,
      );
    }
    const attr = first.v;
    const opTok = this.next();
    let ast: ConditionAst;
    if (opTok.t === 'end') ast = { attr, op: 'truthy', values: [], opOffset: 0 };
    else if (opTok.t === 'op') ast = { attr, op: opTok.v as CompareOp, values: [this.literal()], opOffset: opTok.o };
    else if (this.isWord(opTok, 'IN')) ast = { attr, op: 'in', values: this.list(), opOffset: opTok.o };
    else if (this.isWord(opTok, 'NOT')) {
      const second = this.next();
      if (this.isWord(second, 'IN')) ast = { attr, op: 'not in', values: this.list(), opOffset: opTok.o };
      else if (this.isWord(second, 'SET')) ast = { attr, op: 'not set', values: [], opOffset: opTok.o };
      else throw new SyntaxFailure(`expected IN or SET after NOT, not ${describe(second)}`, second.o);
    } else if (this.isWord(opTok, 'IS')) {
      let second = this.next();
      let op: ConditionOp = 'is set';
      if (this.isWord(second, 'NOT')) {
        op = 'not set';
        second = this.next();
      }
      if (!this.isWord(second, 'SET')) throw new SyntaxFailure(`expected SET after IS, not ${describe(second)}`, second.o);
      ast = { attr, op, values: [], opOffset: opTok.o };
    } else {
      throw new SyntaxFailure(`expected an operator (${OPERATOR_LIST}) after ${attr}, not ${describe(opTok)}`, opTok.o);
    }
    const rest = this.peek();
    if (rest.t !== 'end') throw new SyntaxFailure(`unexpected ${describe(rest)} after the condition`, rest.o);
    return ast;
  }

  private literal(): Literal {
    const tok = this.next();
    if (tok.t === 'string') return { kind: 'string', value: tok.v, offset: tok.o };
    if (tok.t === 'num') {
      if (PURE_NUMBER.test(tok.v)) return { kind: 'number', value: Number(tok.v), raw: tok.v, offset: tok.o };
      return { kind: 'bare', raw: tok.v, offset: tok.o };
    }
    if (tok.t === 'word') {
      const lower = tok.v.toLowerCase();
      if (lower === 'true' || lower === 'false') return { kind: 'boolean', value: lower === 'true', offset: tok.o };
      const rel = RELATIVE.exec(tok.v);
      if (rel) {
        const offsetMs = rel[1] ? (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * UNIT_MS[rel[3]!.toLowerCase()]! : 0;
        return { kind: 'relative', offsetMs, raw: tok.v, offset: tok.o };
      }
      if (/^now\b/i.test(tok.v)) {
        throw new SyntaxFailure(`${describe(tok)} is not a relative time; write now, now-1h or now+30m (units s, m, h, d, w, no spaces)`, tok.o);
      }
      throw new SyntaxFailure(`unquoted value ${describe(tok)}; put text in quotes: '${tok.v}'`, tok.o);
    }
    throw new SyntaxFailure(`expected a value (a quoted string, a number, true or false), not ${describe(tok)}`, tok.o);
  }

  private list(): Literal[] {
    const open = this.next();
    if (open.t !== 'punct' || (open.v !== '(' && open.v !== '[')) {
      throw new SyntaxFailure(`expected a list like ('a', 'b') or ['a', 'b'], not ${describe(open)}`, open.o);
    }
    const close = open.v === '(' ? ')' : ']';
    const values: Literal[] = [];
    for (;;) {
      const tok = this.peek();
      if (tok.t === 'punct' && tok.v === close) {
        this.next();
        break;
      }
      if (tok.t === 'end') throw new SyntaxFailure(`the list is not closed (missing ${close})`, tok.o);
      values.push(this.literal());
      const sep = this.next();
      if (sep.t === 'punct' && sep.v === close) break;
      if (!(sep.t === 'punct' && sep.v === ',')) {
        throw new SyntaxFailure(`expected ',' or '${close}' in the list, not ${describe(sep)}`, sep.o);
      }
    }
    if (values.length === 0) throw new SyntaxFailure('the list is empty; it would never match', open.o);
    return values;
  }
}

/** Parses one condition. Never throws: a problem comes back with its offset inside `text`. */
export function parseCondition(text: string): ConditionSyntax {
  try {
    return { ok: true, ast: new Parser(tokenize(text)).condition() };
  } catch (err) {
    if (err instanceof SyntaxFailure) return { ok: false, message: err.message, offset: err.offset };
    throw err;
  }
}
