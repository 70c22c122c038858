import { describe, expect, it } from 'vitest';
import { webhookUrlSchema } from './webhook.schema.ts';

// Found by the REST fuzzer (tests/fuzz): `{"url": ""}` answered 500, because the credentials
// refinement ran on a string that is not a URL and `new URL` threw.
describe('webhook URL validation', () => {
  it.each(['', 'not a url', 'http://', 'ftp://files.example.com/'])('refuses %j as a validation issue, never by throwing', (value) => {
    const result = webhookUrlSchema.safeParse(value);
    expect(result.success).toBe(false);
  });

  it('refuses credentials in the URL and accepts a plain https URL', () => {
    expect(webhookUrlSchema.safeParse('https://user:secret@hooks.example.com/in').success).toBe(false);
    expect(webhookUrlSchema.safeParse('https://hooks.example.com/in').success).toBe(true);
  });
});
