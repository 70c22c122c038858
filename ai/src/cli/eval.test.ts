import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEmbedder } from '../testing/model.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-ai-eval-'));
const categoriesFile = path.join(scratch, 'categories.json');
const dataFile = path.join(scratch, 'tickets.jsonl');

function runEval(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(path.join(repoRoot, 'node_modules/.bin/tsx'), ['ai/src/cli/eval.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  await testEmbedder();
  fs.writeFileSync(
    categoriesFile,
    JSON.stringify([
      { id: 'billing', name: 'Billing', description: 'Invoices, charges and refunds.' },
      { id: 'shipping', name: 'Shipping', description: 'Parcels, tracking and deliveries.' },
    ]),
  );
  const lines = [
    { category: 'billing', subject: 'Refund', body: 'I was charged twice.', lang: 'en' },
    { category: 'shipping', text: 'Where is my parcel? Tracking shows nothing.', lang: 'en', id: 'ignored' },
    { category: 'billing', subject: 'Rechnung', body: 'Bitte senden Sie mir die Rechnung erneut.', lang: 'de' },
    { category: 'shipping', subject: 'Paket', body: 'Mein Paket ist beschädigt angekommen.', lang: 'de' },
    { category: 'billing', text: 'Please update the credit card used for my subscription.', lang: 'en' },
    { category: 'shipping', text: 'The courier delivered my order to the wrong address.', lang: 'en' },
  ];
  fs.writeFileSync(dataFile, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n\n`);
}, 15 * 60_000);

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('npm run ai:eval', () => {
  it('scores zero-shot and ends with one JSON line', () => {
    const { status, stdout, stderr } = runEval(['--categories', categoriesFile, '--data', dataFile, '--json']);
    expect(stderr).not.toMatch(/Error/);
    expect(status).toBe(0);
    expect(stdout).toMatch(/accuracy\s+\d+\.\d%/);
    expect(stdout).toMatch(/macro-F1/);
    expect(stdout).toMatch(/confusion/);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ scored: 6, labelledPerCategory: 0, mode: 'zero-shot' });
    for (const key of ['accuracy', 'macroF1', 'p50Ms', 'p99Ms']) expect(typeof summary[key]).toBe('number');
    expect(summary.p99Ms).toBeGreaterThanOrEqual(summary.p50Ms);
    expect(Object.keys(summary.perLanguage)).toEqual(['de', 'en']);
    expect(summary.perCategory.billing.support).toBe(3);
  });

  it('uses the first N tickets per category as labels and scores the rest', () => {
    const { status, stdout } = runEval(['--categories', categoriesFile, '--data', dataFile, '--labelled-per-category', '2', '--json']);
    expect(status).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ scored: 2, labelled: 4, labelledPerCategory: 2 });
    expect(summary.perLanguage).toEqual({ en: expect.objectContaining({ scored: 2 }) });
  });

  it('says how to provision the model when it is missing, without a stack trace', () => {
    const { status, stderr } = runEval(['--categories', categoriesFile, '--data', dataFile], {
      AI_MODELS_DIR: path.join(scratch, 'no-models'),
    });
    expect(status).toBe(1);
    expect(stderr).toContain('is not provisioned');
    expect(stderr).toContain('run `npm test` or `npm start` first');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects bad arguments and data with a clear message', () => {
    const missing = runEval(['--data', dataFile]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('--categories and --data are required');
    const badN = runEval(['--categories', categoriesFile, '--data', dataFile, '--labelled-per-category', 'many']);
    expect(badN.stderr).toContain('--labelled-per-category must be a whole number');
    const badLine = path.join(scratch, 'bad.jsonl');
    fs.writeFileSync(badLine, '{"category":"billing","text":"ok"}\n{"category":"nope","text":"x"}\n');
    const unknown = runEval(['--categories', categoriesFile, '--data', badLine]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('bad.jsonl:2: unknown category nope');
  });
});
