import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embedder, missingModelFiles, type EmbedderOptions } from './embedder.service.ts';
import { ModelUnavailableError } from './errors.ts';
import { testEmbedder, testModelConfig } from './testing/model.ts';
import { dot, norm } from './vector.util.ts';

let embedder: Embedder;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-ai-'));

beforeAll(async () => {
  embedder = await testEmbedder();
}, 15 * 60_000);

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('Embedder with the provisioned model', () => {
  it('returns unit vectors of the model dimension', async () => {
    const vector = await embedder.embed('I was charged twice this month');
    expect(embedder.dimension).toBe(384);
    expect(vector).toHaveLength(384);
    expect(norm(vector)).toBeCloseTo(1, 4);
  });

  it('puts similar tickets closer than unrelated ones, across languages', async () => {
    const [refund, refundDe, refundFr, parcel, password] = await embedder.embedBatch([
      'I was charged twice for my subscription, please refund one payment',
      'Mir wurde das Abo doppelt abgebucht, bitte erstatten Sie eine Zahlung',
      "J'ai été prélevé deux fois pour mon abonnement, merci de me rembourser",
      'My parcel has not arrived and the tracking number shows nothing',
      'The password reset email never arrives in my inbox',
    ]);
    expect(dot(refund!, refundDe!)).toBeGreaterThan(dot(refund!, parcel!));
    expect(dot(refund!, refundFr!)).toBeGreaterThan(dot(refund!, password!));
    expect(dot(refundDe!, refundFr!)).toBeGreaterThan(dot(refundDe!, parcel!));
  });

  it('batches give the same vectors as single calls, in input order', async () => {
    const texts = ['short', 'a somewhat longer ticket about an invoice that is wrong', 'mittellanger Text über eine Lieferung', 'x'];
    const batch = await embedder.embedBatch(texts);
    for (const [i, text] of texts.entries()) {
      // Dynamic int8 quantisation scales activations per batch, so equal up to rounding.
      expect(dot(batch[i]!, await embedder.embed(text))).toBeGreaterThan(0.99);
    }
    expect(await embedder.embedBatch([])).toEqual([]);
  });

  it('truncates by tokens, keeping the end-of-sequence token', async () => {
    const { maxTokens } = testModelConfig();
    const huge = 'The export of the monthly report fails with a timeout. '.repeat(2_000);
    expect(huge.length).toBeGreaterThan(100_000);
    const tokens = embedder.tokenize(huge);
    expect(tokens).toHaveLength(maxTokens);
    expect(tokens.at(-1)).toBe(embedder.tokenize('').at(-1));
    const vector = await embedder.embed(huge);
    expect(norm(vector)).toBeCloseTo(1, 4);
    expect(dot(vector, await embedder.embed(huge.slice(0, 2_000)))).toBeGreaterThan(0.99);
  });

  it('embeds awkward input without failing', async () => {
    const inputs = [
      '',
      ' ',
      '🙂🙂🙂',
      '<p>Hello <b>there</b></p>',
      'Заказ не пришёл',
      '注文した商品が届きません',
      'مرحبا، لم يصل طلبي',
      '\u0000\u0007\ufffd',
      'a'.repeat(10_000),
    ];
    const vectors = await embedder.embedBatch(inputs);
    for (const vector of vectors) {
      expect(vector).toHaveLength(384);
      expect(vector.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('Embedder.load failures', () => {
  const base = (): EmbedderOptions => ({ ...testModelConfig(), modelsDir: scratch, modelId: 'test/broken' });

  function modelCopy(corrupt: 'onnx' | 'tokenizer'): void {
    const from = path.join(testModelConfig().modelsDir, testModelConfig().modelId);
    const to = path.join(scratch, 'test/broken');
    fs.rmSync(to, { recursive: true, force: true });
    fs.mkdirSync(path.join(to, 'onnx'), { recursive: true });
    for (const file of ['config.json', 'tokenizer_config.json', 'tokenizer.json'])
      fs.copyFileSync(path.join(from, file), path.join(to, file));
    if (corrupt === 'onnx') fs.writeFileSync(path.join(to, 'onnx/model_quantized.onnx'), Buffer.from('not an onnx model at all'));
    else {
      fs.symlinkSync(path.join(from, 'onnx/model_quantized.onnx'), path.join(to, 'onnx/model_quantized.onnx'));
      fs.writeFileSync(path.join(to, 'tokenizer.json'), fs.readFileSync(path.join(from, 'tokenizer.json')).subarray(0, 1000));
    }
  }

  it('reports missing files with the fix, without touching the network', async () => {
    const error = await Embedder.load({ ...base(), modelId: 'test/absent' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(error).toMatchObject({ reason: 'missing', modelDir: path.join(scratch, 'test/absent') });
    expect((error as ModelUnavailableError).message).toContain('onnx/model_quantized.onnx or onnx/model.onnx');
    expect((error as ModelUnavailableError).fix).toMatch(/npm start.*npm test/);
    expect(missingModelFiles(path.join(scratch, 'test/absent'))).toHaveLength(4);
  });

  it('reports corrupt weights', async () => {
    modelCopy('onnx');
    const error = await Embedder.load(base()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(error).toMatchObject({ reason: 'corrupt' });
    expect((error as ModelUnavailableError).fix).toContain(path.join(scratch, 'test/broken'));
  });

  it('reports a corrupt tokenizer', async () => {
    modelCopy('tokenizer');
    const error = await Embedder.load(base()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(error).toMatchObject({ reason: 'corrupt' });
  });
});
