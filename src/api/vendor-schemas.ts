/**
 * Request schemas of the registered vendors' integrations, built from the catalogue's fields: one strict object per
 * provider for create, test, edit and test-before-save, so OpenAPI names each provider's fields and a wrong or
 * missing field is refused naming it. What a value must look like (a field's `pattern`, `minLength`), how an address
 * is read (`normalizeBaseUrl`) and the vendor's own `parseConfig` are the vendor's, written in its folder; this file
 * names no vendor.
 */
import { z } from 'zod';
import { isPosternError } from '../lib/errors.ts';
import { DEFAULT_PROVIDER, vendorFor } from '../vendors/index.ts';
import { vendorCatalogue, type VendorField } from './vendor-catalogue.ts';
import { text } from './schemas.ts';

export interface ProviderSchemas {
  provider: string;
  create: z.ZodObject;
  patch: z.ZodObject;
  test: z.ZodObject;
  testSaved: z.ZodObject;
}

/** The provider of a body that names none (the registry says which). */
export const DEFAULT_BODY_PROVIDER: string = DEFAULT_PROVIDER;

type Shape = Record<string, z.ZodType>;

export const partial = (shape: Shape): Shape => Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v.optional()]));

/** A secret as pasted: no whitespace inside, bounded; a field's own `pattern` and `minLength` say more. */
function secretSchema(f: VendorField): z.ZodType {
  const pattern = f.pattern ?? { regex: '^[\\x21-\\x7e]+$', message: 'must be the secret exactly as shown when it was created (no spaces or control characters)' };
  return z
    .string()
    .trim()
    .min(f.minLength ?? 1)
    .max(4096)
    .regex(new RegExp(pattern.regex), { message: pattern.message });
}

/** A text value (or a list's item): what the field's `pattern` says, or else any trimmed text without control characters. */
function textSchema(f: VendorField, max: number): z.ZodString {
  const out = f.pattern ? z.string().max(max).regex(new RegExp(f.pattern.regex), { message: f.pattern.message }) : text(max);
  return f.minLength ? out.min(f.minLength) : out;
}

/** The address, refused naming the field when the vendor would not call it (its `normalizeBaseUrl`), on every route. */
function addressSchema(provider: string, displayName: string, base: z.ZodString): z.ZodType {
  return base.superRefine((value, ctx) => {
    try {
      vendorFor(provider)?.normalizeBaseUrl(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: isPosternError(err) ? err.message : `is not an address of ${displayName}` });
    }
  });
}

function fieldSchema(provider: string, displayName: string, f: VendorField): z.ZodType {
  const base =
    f.kind === 'secret'
      ? secretSchema(f)
      : f.kind === 'list'
        ? z.array(textSchema(f, 200)).max(200)
        : f.name === 'baseUrl'
          ? addressSchema(provider, displayName, textSchema(f, 500))
          : textSchema(f, 500);
  return (f.required ? base : base.optional()).describe(f.hint);
}

/** The vendor's check runs only on a body whose fields passed their own checks, so a problem is reported once. */
const whenFieldsPassed = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

/** Runs the vendor's own check of its fields; its first complaint becomes an issue on the field it names. */
function vendorCheck(provider: string, body: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const vendor = vendorFor(provider);
  if (!vendor) return;
  try {
    vendor.parseConfig(body);
  } catch (err) {
    if (!isPosternError(err)) throw err;
    const detail = err.details?.[0];
    const field = String(detail?.path ?? '').replace(/^body\./, '');
    ctx.addIssue({ code: 'custom', path: field ? [field] : [], message: String(detail?.message ?? err.message).replace(/\.+$/, '') });
  }
}

/** Every registered vendor's schemas, in registry order. */
export function registeredProviderSchemas({ commonFields }: { commonFields: Shape }): ProviderSchemas[] {
  return vendorCatalogue()
    .filter((v) => vendorFor(v.provider) !== null)
    .map((v) => {
      const fields: Shape = Object.fromEntries(v.fields.map((f) => [f.name, fieldSchema(v.provider, v.displayName, f)]));
      const literal = z.literal(v.provider);
      return {
        provider: v.provider,
        create: z.strictObject({ provider: literal, ...commonFields, ...fields }).superRefine((body, ctx) => vendorCheck(v.provider, body, ctx), whenFieldsPassed),
        patch: z.strictObject({ ...partial(commonFields), ...partial(fields) }),
        test: z.strictObject({ provider: literal, ...fields }).superRefine((body, ctx) => vendorCheck(v.provider, body, ctx), whenFieldsPassed),
        testSaved: z.strictObject(partial(fields)),
      } as ProviderSchemas;
    });
}
