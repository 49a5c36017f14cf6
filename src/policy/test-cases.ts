/**
 * Compiles the policy's `tests` section: each test's src becomes one or more test devices (a group gives one per
 * member) with the attributes in `srcPostureAttrs` (none without it), and each accept/deny destination becomes a
 * case with its position in the file. Legacy `allow` counts as `accept`; `proto` is ignored.
 */
import { ATTRIBUTE_KEY_PATTERN, BUILT_IN_ATTRIBUTES, declaredType, orderedValues, type AttributeCatalogue, type AttributeValue } from '../lib/attributes.ts';
import type { CompiledTest, CompiledTestCase } from './compiled.ts';
import type { RawTest, RawTestAttribute } from './parser.ts';
import type { ErrorSink, Located } from './source.ts';
import { isGroup, isTag, isUser, isValidDestination } from './targets.ts';
import type { PolicySubject, SubjectAttribute } from './types.ts';

export function compileTests(
  tests: RawTest[],
  groups: ReadonlyMap<string, readonly string[]>,
  sink: ErrorSink,
  maxCases = 10_000,
  catalogue: AttributeCatalogue = BUILT_IN_ATTRIBUTES,
): CompiledTest[] {
  const out: CompiledTest[] = [];
  let expanded = 0;
  for (const t of tests) {
    const attributes = testAttributes(t.attributes, sink, catalogue);
    const subjects = t.src ? testSubjects(t.index, t.src, attributes, groups, sink) : [];
    const cases: CompiledTestCase[] = [];
    for (const [list, expected] of [[t.accept, 'accept'], [t.deny, 'deny'], [t.wouldDeny, 'wouldDeny']] as const) {
      for (const d of list) {
        if (!isValidDestination(d.value)) {
          sink.add('INVALID_DST', `"${d.value}" is not a test destination; use tag:<name>, a host, an IP address, or any of them with :port`, d.offset, d.path);
          continue;
        }
        cases.push({ dst: d.value, expected, ...sink.position(d.offset) });
      }
    }
    if (t.accept.length === 0 && t.deny.length === 0 && t.wouldDeny.length === 0) {
      sink.add('INVALID_TEST', 'the test asserts nothing; give it "accept", "deny" or "wouldDeny" destinations', t.offset, `tests[${t.index}]`);
    }
    const at = sink.position(t.src?.offset ?? t.offset);
    // Each case runs once per subject (a group: once per member); past the limit nothing more is expanded.
    expanded += cases.length * subjects.length;
    if (expanded > maxCases) {
      sink.add(
        'TOO_MANY_TEST_CASES',
        `the tests expand to more than ${maxCases} cases (group members × destinations) by this test; test fewer destinations or a smaller group`,
        t.src?.offset ?? t.offset,
        `tests[${t.index}]`,
      );
      return out;
    }
    out.push({ index: t.index, src: t.src?.value ?? '', line: at.line, column: at.column, subjects, cases });
  }
  return out;
}

function testSubjects(
  index: number,
  src: Located<string>,
  attributes: Record<string, SubjectAttribute>,
  groups: ReadonlyMap<string, readonly string[]>,
  sink: ErrorSink,
): CompiledTest['subjects'] {
  const make = (user: string | null, tags: string[]): PolicySubject => ({ deviceId: `test:${index}`, user, tags, attributes });
  const s = src.value;
  if (isUser(s)) return [{ label: s, subject: make(s.toLowerCase(), []) }];
  if (isTag(s)) return [{ label: s, subject: make(null, [s]) }];
  if (isGroup(s)) {
    const members = groups.get(s);
    if (!members) {
      sink.add('UNDEFINED_GROUP', `${s} is not defined in "groups"`, src.offset, src.path);
      return [];
    }
    if (members.length === 0) {
      sink.add('INVALID_TEST', `${s} has no members to test with`, src.offset, src.path);
      return [];
    }
    return members.map((m) => ({ label: `${s} (${m})`, subject: make(m, []) }));
  }
  sink.add('INVALID_SRC', `"${s}" is not a test src; use a user email, tag:<name> or group:<name>`, src.offset, src.path);
  return [];
}

function testAttributes(attrs: RawTestAttribute[], sink: ErrorSink, catalogue: AttributeCatalogue): Record<string, SubjectAttribute> {
  const out: Record<string, SubjectAttribute> = {};
  for (const { key, value } of attrs) {
    if (!ATTRIBUTE_KEY_PATTERN.test(key.value)) {
      sink.add('INVALID_ATTRIBUTE', `"${key.value}" is not an attribute key; keys look like namespace:name`, key.offset, key.path);
      continue;
    }
    const problem = typeProblem(key.value, value.value, catalogue);
    if (problem) {
      sink.add('TYPE_MISMATCH', problem, value.offset, value.path);
      continue;
    }
    out[key.value] = { value: value.value };
  }
  return out;
}

function typeProblem(key: string, value: AttributeValue, catalogue: AttributeCatalogue): string | null {
  const type = declaredType(key, catalogue);
  const shown = JSON.stringify(value);
  const scale = orderedValues(key);
  if (scale && !scale.includes(value as string)) return `${key} is one of ${scale.map((s) => JSON.stringify(s)).join(', ')}; ${shown} is not one of them`;
  switch (type) {
    case null:
      return null;
    case 'version':
      return (typeof value === 'string' && value.trim() !== '') || typeof value === 'number'
        ? null
        : `${key} is a version attribute; ${shown} is not a version (write it like "23.4.2")`;
    case 'timestamp':
      return (typeof value === 'string' && !Number.isNaN(Date.parse(value))) || typeof value === 'number'
        ? null
        : `${key} is a timestamp attribute; ${shown} is not an ISO-8601 instant`;
    default:
      return typeof value === type ? null : `${key} is a ${type} attribute; ${shown} is a ${typeof value}`;
  }
}

