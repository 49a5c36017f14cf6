/**
 * Reads policy text (HuJSON: JSON with comments and trailing commas) into its sections, checking the document's
 * shape: known sections and keys only, the right kind of value everywhere, no duplicates. Meaning (conditions,
 * references, src and dst forms) is checked by the compiler. Every problem is collected with its position.
 */
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { AttributeValue } from '../lib/attributes.ts';
import { ErrorSink, LineIndex, indexPath, keyPath, type Located } from './source.ts';

export interface RawGroup {
  name: Located<string>;
  members: Located<string>[];
}

export interface RawPosture {
  name: Located<string>;
  conditions: Located<string>[];
}

export interface RawGrant {
  index: number;
  offset: number;
  src: Located<string>[];
  dst: Located<string>[];
  ip: Located<string>[] | null;
  /** Null when the grant has no srcPosture (or an empty one): defaultSrcPosture applies. */
  srcPosture: Located<string>[] | null;
  /** `"postureMode": "report"`: the grant's posture is judged and logged but never refuses access. */
  postureMode: 'enforce' | 'report';
}

export interface RawTestAttribute {
  key: Located<string>;
  value: Located<AttributeValue>;
}

export interface RawTest {
  index: number;
  offset: number;
  src: Located<string> | null;
  attributes: RawTestAttribute[];
  accept: Located<string>[];
  deny: Located<string>[];
  /** Destinations accepted only because a report-only posture fails. */
  wouldDeny: Located<string>[];
}

export interface RawPolicy {
  groups: RawGroup[];
  postures: RawPosture[];
  defaultSrcPosture: Located<string>[];
  grants: RawGrant[];
  tests: RawTest[];
  /** Postures that never refuse access wherever they are used (judged and logged as would-deny). */
  reportOnlyPostures: Located<string>[];
}

const SECTIONS = ['groups', 'postures', 'defaultSrcPosture', 'reportOnlyPostures', 'grants', 'tests'] as const;
const GRANT_KEYS = ['src', 'dst', 'ip', 'srcPosture', 'postureMode'];
const TEST_KEYS = ['src', 'srcPostureAttrs', 'accept', 'allow', 'deny', 'wouldDeny', 'proto'];
/** Tailscale sections a pasted tailnet policy may carry; named in the error so the fix is obvious. */
const TAILSCALE_SECTIONS = new Set([
  'acls', 'tagOwners', 'hosts', 'ssh', 'sshTests', 'nodeAttrs', 'autoApprovers', 'ipsets', 'derpMap',
  'disableIPv4', 'randomizeClientPort', 'OneCGNATRoute', 'attrs', 'autogroups',
]);

const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character (strings need double quotes)',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a key in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':' after the key",
  CommaExpected: "expected ',' between entries",
  CloseBraceExpected: "expected '}' to close the object",
  CloseBracketExpected: "expected ']' to close the list",
  EndOfFileExpected: 'unexpected text after the end of the policy',
  InvalidCommentToken: 'malformed comment',
  UnexpectedEndOfComment: 'comment is not closed (missing */)',
  UnexpectedEndOfString: 'string is not closed',
  UnexpectedEndOfNumber: 'number ends too early',
  InvalidUnicode: 'invalid \\u escape in string',
  InvalidEscapeCharacter: 'invalid escape in string',
  InvalidCharacter: 'invalid character in string (control characters must be escaped)',
};

function typeName(type: Node['type']): string {
  return type === 'array' ? 'a list' : type === 'object' ? 'an object' : `a ${type}`;
}

/** What a JSON node is, for messages. */
function kind(node: Node): string {
  return typeName(node.type);
}

export interface ParseResult {
  raw: RawPolicy | null;
  sink: ErrorSink;
  lines: LineIndex;
}

/** Parses the text. `raw` is null when the text is not a HuJSON object; `sink` holds every error found. */
export function parsePolicyText(text: string): ParseResult {
  const lines = new LineIndex(text);
  const sink = new ErrorSink(lines);
  const syntax: ParseError[] = [];
  let root: Node | undefined;
  try {
    root = parseTree(text, syntax, { allowTrailingComma: true, disallowComments: false });
  } catch {
    sink.add('POLICY_SYNTAX', 'the policy is nested too deeply to read', 0, '');
    return { raw: null, sink, lines };
  }
  for (const e of syntax) {
    const name = printParseErrorCode(e.error);
    sink.add('POLICY_SYNTAX', SYNTAX_MESSAGES[name] ?? `syntax error (${name})`, e.offset, '');
  }
  if (sink.count > 0) return { raw: null, sink, lines };
  if (!root) {
    sink.add('POLICY_SYNTAX', 'the policy is empty; it must be an object like { "grants": [] }', 0, '');
    return { raw: null, sink, lines };
  }
  if (root.type !== 'object') {
    sink.add('POLICY_SYNTAX', `the policy must be an object, not ${kind(root)}`, root.offset, '');
    return { raw: null, sink, lines };
  }
  return { raw: new Reader(text, sink).policy(root), sink, lines };
}

class Reader {
  constructor(
    private readonly text: string,
    private readonly sink: ErrorSink,
  ) {}

  policy(root: Node): RawPolicy {
    const out: RawPolicy = { groups: [], postures: [], defaultSrcPosture: [], grants: [], tests: [], reportOnlyPostures: [] };
    for (const [key, value, keyNode] of this.entries(root, '')) {
      const path = keyPath('', key);
      if (!(SECTIONS as readonly string[]).includes(key)) {
        const hint = TAILSCALE_SECTIONS.has(key)
          ? `"${key}" is a Tailscale section postern does not use; remove it`
          : `unknown section "${key}"; sections are ${SECTIONS.join(', ')}`;
        this.sink.add('UNKNOWN_SECTION', hint, keyNode.offset, path);
        continue;
      }
      if (!value) continue;
      if (key === 'groups') out.groups = this.namedLists(value, path, 'group').map(([name, members]) => ({ name, members }));
      else if (key === 'postures')
        out.postures = this.namedLists(value, path, 'posture').map(([name, conditions]) => ({ name, conditions }));
      else if (key === 'defaultSrcPosture') out.defaultSrcPosture = this.strings(value, path) ?? [];
      else if (key === 'reportOnlyPostures') out.reportOnlyPostures = this.strings(value, path) ?? [];
      else if (key === 'grants') out.grants = this.list(value, path, (n, p, i) => this.grant(n, p, i));
      else out.tests = this.list(value, path, (n, p, i) => this.test(n, p, i));
    }
    return out;
  }

  /** Object entries as [key, value node, key node], reporting duplicate keys once each. */
  private entries(obj: Node, path: string): Array<[string, Node | undefined, Node]> {
    const seen = new Set<string>();
    const out: Array<[string, Node | undefined, Node]> = [];
    for (const prop of obj.children ?? []) {
      const keyNode = prop.children?.[0];
      if (!keyNode || typeof keyNode.value !== 'string') continue;
      const key = keyNode.value as string;
      if (seen.has(key)) {
        this.sink.add('DUPLICATE_KEY', `"${key}" appears more than once; keep one`, keyNode.offset, keyPath(path, key));
        continue;
      }
      seen.add(key);
      out.push([key, prop.children?.[1], keyNode]);
    }
    return out;
  }

  private located<T>(node: Node, value: T, path: string): Located<T> {
    let contentOffset: number | null = null;
    if (node.type === 'string' && typeof value === 'string') {
      const inner = this.text.slice(node.offset + 1, node.offset + node.length - 1);
      if (inner === value) contentOffset = node.offset + 1;
    }
    return { value, offset: node.offset, contentOffset, path };
  }

  private expect(node: Node, type: Node['type'], path: string, what: string): boolean {
    if (node.type === type) return true;
    this.sink.add('INVALID_TYPE', `${what} must be ${typeName(type)}, not ${kind(node)}`, node.offset, path);
    return false;
  }

  /** A list of strings; non-strings are reported and skipped. Null when the node is not a list. */
  private strings(node: Node, path: string, what = path): Located<string>[] | null {
    if (!this.expect(node, 'array', path, what)) return null;
    const out: Located<string>[] = [];
    (node.children ?? []).forEach((child, i) => {
      const p = indexPath(path, i);
      if (child.type !== 'string') {
        this.sink.add('INVALID_TYPE', `${p} must be a string, not ${kind(child)}`, child.offset, p);
        return;
      }
      out.push(this.located(child, child.value as string, p));
    });
    return out;
  }

  private list<T>(node: Node, path: string, item: (n: Node, p: string, i: number) => T | null): T[] {
    if (!this.expect(node, 'array', path, path)) return [];
    const out: T[] = [];
    (node.children ?? []).forEach((child, i) => {
      const v = item(child, indexPath(path, i), i);
      if (v !== null) out.push(v);
    });
    return out;
  }

  /** `groups` and `postures`: an object of `prefix:name` → list of strings. */
  private namedLists(node: Node, path: string, prefix: 'group' | 'posture'): Array<[Located<string>, Located<string>[]]> {
    if (!this.expect(node, 'object', path, path)) return [];
    const out: Array<[Located<string>, Located<string>[]]> = [];
    const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
    for (const [key, value, keyNode] of this.entries(node, path)) {
      const p = keyPath(path, key);
      const name = key.startsWith(`${prefix}:`) ? key.slice(prefix.length + 1) : null;
      if (name === null || !namePattern.test(name)) {
        const code = prefix === 'group' ? 'INVALID_GROUP_NAME' : 'INVALID_POSTURE_NAME';
        this.sink.add(code, `"${key}" is not a valid ${prefix} name; write ${prefix}:<name> using letters, digits, _ . -`, keyNode.offset, p);
        continue;
      }
      if (!value) continue;
      const items = this.strings(value, p);
      if (items === null) continue;
      if (prefix === 'posture' && items.length === 0) {
        this.sink.add('EMPTY_POSTURE', `${key} has no conditions; a posture needs at least one`, value.offset, p);
        continue;
      }
      out.push([this.located(keyNode, key, p), items]);
    }
    return out;
  }

  private grant(node: Node, path: string, index: number): RawGrant | null {
    if (!this.expect(node, 'object', path, path)) return null;
    const grant: RawGrant = { index, offset: node.offset, src: [], dst: [], ip: null, srcPosture: null, postureMode: 'enforce' };
    const present = new Set<string>();
    for (const [key, value, keyNode] of this.entries(node, path)) {
      const p = keyPath(path, key);
      if (!GRANT_KEYS.includes(key)) {
        this.sink.add('UNKNOWN_KEY', `unknown key "${key}" in a grant; grant keys are ${GRANT_KEYS.join(', ')}`, keyNode.offset, p);
        continue;
      }
      present.add(key);
      if (!value) continue;
      if (key === 'postureMode') {
        if (value.type === 'string' && (value.value === 'report' || value.value === 'enforce')) grant.postureMode = value.value;
        else this.sink.add('INVALID_TYPE', `${p} must be "report" or "enforce"`, value.offset, p);
        continue;
      }
      const items = this.strings(value, p) ?? [];
      if (key === 'src') grant.src = items;
      else if (key === 'dst') grant.dst = items;
      else if (key === 'ip') grant.ip = items;
      else grant.srcPosture = items.length > 0 ? items : null;
    }
    for (const key of ['src', 'dst']) {
      if (!present.has(key)) this.sink.add('MISSING_KEY', `the grant has no "${key}"`, node.offset, path);
      else if ((key === 'src' ? grant.src : grant.dst).length === 0)
        this.sink.add('MISSING_KEY', `the grant's "${key}" is empty; it would match nothing`, node.offset, keyPath(path, key));
    }
    return grant;
  }

  private test(node: Node, path: string, index: number): RawTest | null {
    if (!this.expect(node, 'object', path, path)) return null;
    const test: RawTest = { index, offset: node.offset, src: null, attributes: [], accept: [], deny: [], wouldDeny: [] };
    for (const [key, value, keyNode] of this.entries(node, path)) {
      const p = keyPath(path, key);
      if (!TEST_KEYS.includes(key)) {
        this.sink.add('UNKNOWN_KEY', `unknown key "${key}" in a test; test keys are src, srcPostureAttrs, accept, deny, wouldDeny`, keyNode.offset, p);
        continue;
      }
      if (!value) continue;
      if (key === 'src') {
        if (this.expect(value, 'string', p, p)) test.src = this.located(value, value.value as string, p);
      } else if (key === 'srcPostureAttrs') test.attributes = this.testAttributes(value, p);
      else if (key === 'accept' || key === 'allow') test.accept.push(...(this.strings(value, p) ?? []));
      else if (key === 'deny') test.deny = this.strings(value, p) ?? [];
      else if (key === 'wouldDeny') test.wouldDeny = this.strings(value, p) ?? [];
      else if (value.type !== 'array' && value.type !== 'string') this.expect(value, 'array', p, p); // proto: ignored
    }
    if (!test.src) this.sink.add('MISSING_KEY', 'the test has no "src"', node.offset, path);
    return test;
  }

  private testAttributes(node: Node, path: string): RawTestAttribute[] {
    if (!this.expect(node, 'object', path, path)) return [];
    const out: RawTestAttribute[] = [];
    for (const [key, value, keyNode] of this.entries(node, path)) {
      const p = keyPath(path, key);
      if (!value) continue;
      if (value.type !== 'string' && value.type !== 'number' && value.type !== 'boolean') {
        this.sink.add('INVALID_TYPE', `${key} must be a string, number or boolean, not ${kind(value)}`, value.offset, p);
        continue;
      }
      out.push({ key: this.located(keyNode, key, p), value: this.located(value, value.value as AttributeValue, p) });
    }
    return out;
  }
}
