import fs from 'node:fs';
import { z } from 'zod';

/** One category line of categories.json. */
export const evalCategorySchema = z.object({ id: z.string().min(1), name: z.string().min(1), description: z.string() });

/** One line of tickets.jsonl: `category` plus `text` or `subject` + `body`; other fields are ignored. */
export const evalTicketSchema = z
  .object({
    category: z.string().min(1),
    text: z.string().optional(),
    subject: z.string().optional(),
    body: z.string().optional(),
    lang: z.string().optional(),
  })
  .refine((t) => t.text !== undefined || t.subject !== undefined || t.body !== undefined, {
    message: 'needs `text` or `subject` + `body`',
  });

/** A labelled evaluation ticket. */
export type EvalTicket = z.output<typeof evalTicketSchema>;

/** A category of the evaluation set. */
export type EvalCategory = z.output<typeof evalCategorySchema>;

/** Reads and validates categories.json; errors name the file and the problem. */
export function readCategories(file: string): EvalCategory[] {
  const parsed = z
    .array(evalCategorySchema)
    .min(1)
    .safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Reads and validates tickets.jsonl; blank lines are skipped, errors name the line. */
export function readTickets(file: string, categoryIds: ReadonlySet<string>): EvalTicket[] {
  const tickets: EvalTicket[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (!line.trim()) return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${index + 1}: not a JSON object`);
      }
      const parsed = evalTicketSchema.safeParse(json);
      if (!parsed.success) throw new Error(`${file}:${index + 1}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      if (!categoryIds.has(parsed.data.category)) throw new Error(`${file}:${index + 1}: unknown category ${parsed.data.category}`);
      tickets.push(parsed.data);
    });
  return tickets;
}
