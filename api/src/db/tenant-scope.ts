import { Schema, Types } from 'mongoose';

/**
 * Tenant isolation, enforced in one place. Every tenant-owned schema uses this plugin:
 * it adds a required, immutable `tenantId` and refuses — by throwing before anything
 * reaches the server — any query, update, delete, count or aggregation whose filter does
 * not pin `tenantId` to one concrete id. Forgetting the tenant is therefore a loud error
 * in the first test that exercises the code path, never a silent cross-tenant read.
 *
 * The only way around it is explicit and greppable: `.setOptions({ crossTenant: true })`
 * (for sweepers that repair all tenants). Compound indexes should lead with tenantId.
 */
export class UnscopedQueryError extends Error {
  constructor(model: string, operation: string) {
    super(`Unscoped ${operation} on ${model}: filter by a concrete tenantId (or opt out with { crossTenant: true })`);
    this.name = 'UnscopedQueryError';
  }
}

const QUERY_OPERATIONS = [
  'countDocuments',
  'deleteMany',
  'deleteOne',
  'distinct',
  'find',
  'findOne',
  'findOneAndDelete',
  'findOneAndReplace',
  'findOneAndUpdate',
  'replaceOne',
  'updateMany',
  'updateOne',
] as const;

function isConcreteTenant(value: unknown): boolean {
  return value instanceof Types.ObjectId || (typeof value === 'string' && Types.ObjectId.isValid(value));
}

function touchesTenantId(update: unknown): boolean {
  if (!update || typeof update !== 'object') return false;
  return Object.entries(update as Record<string, unknown>).some(([key, value]) =>
    key === 'tenantId' ? true : key.startsWith('$') && value && typeof value === 'object' ? 'tenantId' in (value as object) : false,
  );
}

/** The mongoose plugin. Apply to every tenant-owned schema (see db/models.ts). */
export function tenantScoped(schema: Schema): void {
  schema.add({ tenantId: { type: Schema.Types.ObjectId, required: true, immutable: true } });

  for (const operation of QUERY_OPERATIONS) {
    schema.pre(operation, function guardQuery() {
      if (this.getOptions().crossTenant === true) return;
      if (!isConcreteTenant(this.getFilter().tenantId)) throw new UnscopedQueryError(this.model.modelName, operation);
      const update = this.getUpdate();
      if (update && touchesTenantId(update)) throw new Error(`${this.model.modelName}: tenantId cannot be changed by an update`);
    });
  }

  schema.pre('aggregate', function guardAggregate() {
    if (this.options.crossTenant === true) return;
    const first = this.pipeline()[0] as { $match?: { tenantId?: unknown } } | undefined;
    if (!isConcreteTenant(first?.$match?.tenantId))
      throw new UnscopedQueryError(this.model().modelName, 'aggregate (first stage must $match tenantId)');
  });

  schema.pre('bulkWrite', function guardBulkWrite(operations) {
    for (const op of operations as unknown as Array<
      Record<string, { filter?: { tenantId?: unknown }; document?: { tenantId?: unknown } }>
    >) {
      const [kind, body] = Object.entries(op)[0] ?? [];
      const tenant = kind === 'insertOne' ? body?.document?.tenantId : body?.filter?.tenantId;
      if (!isConcreteTenant(tenant)) throw new UnscopedQueryError(this.modelName, `bulkWrite.${kind}`);
    }
  });
}

/** A tenant id as stored. */
export type TenantId = Types.ObjectId;

/** Parses a tenant id (from a session, never from a client payload). */
export function toObjectId(value: string | Types.ObjectId): Types.ObjectId {
  return typeof value === 'string' ? new Types.ObjectId(value) : value;
}
