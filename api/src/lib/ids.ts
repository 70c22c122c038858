import { Types } from 'mongoose';
import { z } from 'zod';
import { AppError } from './errors.ts';

/** A 24-hex-digit ObjectId as it appears in URLs and JSON. Anything else is a 400. */
export const objectIdSchema = z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id');

/** Parses a validated id string. */
export function oid(value: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(value) || !/^[0-9a-f]{24}$/i.test(value)) throw new AppError('validation_failed', `invalid id "${value}"`);
  return new Types.ObjectId(value);
}

/** Hex string of an optional id (null stays null). */
export function hex(id: Types.ObjectId | null | undefined): string | null {
  return id ? id.toHexString() : null;
}
