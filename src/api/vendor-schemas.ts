/**
 * Request schemas of the registered vendors' integrations, built from the catalogue's fields: one strict object per
 * provider for create, test, edit and test-before-save, so OpenAPI names each provider's fields and a wrong or
 * missing field is refused naming it. The vendor's own `parseConfig` judges the values (one rule, in its folder).
 */
import { z } from 'zod';
import { isPosternError } from '../lib/errors.ts';
import { vendorFor } from '../vendors/index.ts';
import { vendorCatalogue, type VendorField } from './vendor-catalogue.ts';
import { text } from './schemas.ts';

export interface ProviderSchemas {
  provider: string;
  create: z.ZodObject;
  patch: z.ZodObject;
  test: z.ZodObject;
  testSaved: z.ZodObject;
}

/** The first provider postern had: a body without `provider` is for it. Its schema lives in routes/integrations.ts. */
export const LEGACY_PROVIDER = 'sentinelone';

type Shape = Record<string, z.ZodType>;

export const partial = (shape: Shape): Shape => Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v.optional()]));

/** A secret as pasted: no whitespace inside, bounded. */
export const vendorSecret = z
  .string()
  .trim()
  .min(1)
  .max(4096)
  .regex(/^[\x21-\x7e]+$/, { message: 'must be the secret exactly as shown when it was created (no spaces or control characters)' });

function fieldSchema(f: VendorField, secret: z.ZodType): z.ZodType {
  const base = f.kind === 'secret' ? secret : f.kind === 'list' ? z.array(text(200)).max(200) : text(500);
  return (f.required ? base : base.optional()).describe(f.hint);
}

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

export function registeredProviderSchemas({ commonFields, secret }: { commonFields: Shape; secret: z.ZodType }): ProviderSchemas[] {
  return vendorCatalogue()
    .filter((v) => v.provider !== LEGACY_PROVIDER && vendorFor(v.provider) !== null)
    .map((v) => {
      const fields: Shape = Object.fromEntries(v.fields.map((f) => [f.name, fieldSchema(f, secret)]));
      const literal = z.literal(v.provider);
      return {
        provider: v.provider,
        create: z.strictObject({ provider: literal, ...commonFields, ...fields }).superRefine((body, ctx) => vendorCheck(v.provider, body, ctx)),
        patch: z.strictObject({ ...partial(commonFields), ...partial(fields) }),
        test: z.strictObject({ provider: literal, ...fields }).superRefine((body, ctx) => vendorCheck(v.provider, body, ctx)),
        testSaved: z.strictObject(partial(fields)),
      } as ProviderSchemas;
    });
}
