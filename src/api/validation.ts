/** Turns zod failures into VALIDATION_FAILED errors that name the field and say what to send instead. */
import { z } from 'zod';
import { PosternError, type ErrorDetail } from '../lib/errors.ts';

export type Where = 'body' | 'query' | 'params';

function pathOf(where: Where, path: readonly PropertyKey[]): string {
  let out = where === 'params' ? 'path' : where;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  return out;
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `is required (${issue.expected})` : `must be ${article(issue.expected)}`;
    case 'unrecognized_keys':
      return `has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${issue.maximum} characters`
        : issue.origin === 'array'
          ? `must have at most ${issue.maximum} items`
          : `must be at most ${issue.maximum}`;
    case 'too_small':
      return issue.origin === 'string'
        ? Number(issue.minimum) === 1
          ? 'must not be empty'
          : `must be at least ${issue.minimum} characters`
        : issue.origin === 'array'
          ? `must have at least ${issue.minimum} items`
          : `must be at least ${issue.minimum}`;
    default:
      return issue.message;
  }
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

export function parseInput<S extends z.ZodType>(schema: S, data: unknown, where: Where): z.output<S> {
  const result = schema.safeParse(data ?? (where === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const details: ErrorDetail[] = result.error.issues.slice(0, 20).map((issue) => {
    const keyPath = issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? [...issue.path, issue.keys[0]!] : issue.path;
    return { path: pathOf(where, keyPath), message: describe(issue) };
  });
  const first = details[0]!;
  const more = details.length > 1 ? ` (and ${details.length - 1} more problem${details.length > 2 ? 's' : ''}, listed in details)` : '';
  throw new PosternError('VALIDATION_FAILED', `${first.path} ${first.message.replace(/\.+$/, '')}${more}.`, { details });
}

/**
 * JSON Schema for the OpenAPI (3.0) document, from the same zod schema that validates. `propertyNames` does not exist
 * in OpenAPI 3.0 and makes validators refuse the whole document, so it is left out; zod still checks the keys.
 */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return withoutPropertyNames(rest) as Record<string, unknown>;
}

function withoutPropertyNames(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutPropertyNames);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'propertyNames').map(([k, v]) => [k, withoutPropertyNames(v)]));
}
