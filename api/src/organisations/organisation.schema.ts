import { z } from 'zod';

const locationSchema = z
  .object({
    name: z.string().trim().min(1).max(120),
    address: z.string().max(500).default(''),
    phone: z.string().max(40).nullable().default(null),
  })
  .strict();

const organisationFields = {
  name: z.string().trim().min(1).max(160),
  domains: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'a domain like example.com'),
    )
    .max(20),
  notes: z.string().max(5000),
  locations: z.array(locationSchema).max(100),
};

/** POST /api/v1/organisations body. */
export const organisationCreateSchema = z
  .object({
    ...organisationFields,
    domains: organisationFields.domains.default([]),
    notes: organisationFields.notes.default(''),
    locations: organisationFields.locations.default([]),
  })
  .strict();
/** PATCH /api/v1/organisations/:id body. Built from the fields without their defaults, so a patch changes only what it names. */
export const organisationPatchSchema = z.object(organisationFields).partial().strict();
/** Organisation as the API shows it. */
export const organisationDtoSchema = z.object({
  id: z.string(),
  name: z.string(),
  domains: z.array(z.string()),
  notes: z.string(),
  locations: z.array(z.object({ id: z.string(), name: z.string(), address: z.string(), phone: z.string().nullable() })),
  createdAt: z.string(),
});
/** Organisation DTO. */
export type OrganisationDto = z.infer<typeof organisationDtoSchema>;
