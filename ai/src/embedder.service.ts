import fs from 'node:fs';
import path from 'node:path';
import { env as transformersEnv, pipeline, Tensor } from '@xenova/transformers';
import ort from 'onnxruntime-node';
import { ModelUnavailableError } from './errors.ts';

/** How to find and run the embedding model. */
export interface EmbedderOptions {
  /** Root of the local model store; the model lives in `<modelsDir>/<modelId>/`. */
  modelsDir: string;
  modelId: string;
  /** Download from the Hugging Face hub when the files are not there (never by default). */
  allowRemote?: boolean;
  /** onnxruntime intra-op threads for this process. */
  threads?: number;
  /** Tokens of text the model reads, special tokens included; the rest is cut. */
  maxTokens?: number;
  /** Largest number of texts run through the model at once. */
  batchSize?: number;
  /** Prefer the int8 weights (onnx/model_quantized.onnx) when both exist. */
  quantized?: boolean;
}

/** The subset of the transformers.js tokenizer the embedder uses. */
interface Tokenizer {
  encode(text: string, pair?: null, options?: { add_special_tokens?: boolean }): number[];
  model_max_length: number;
  pad_token_id?: number;
}

/** The subset of the transformers.js model the embedder uses. */
interface EncoderModel {
  (inputs: Record<string, Tensor>): Promise<{ last_hidden_state: { data: Float32Array; dims: number[] } }>;
  dispose(): Promise<unknown>;
}

interface FeaturePipeline {
  tokenizer: Tokenizer;
  model: EncoderModel;
}

/**
 * Texts of similar token length go in one batch: padding to the longest member wastes
 * work quadratically in attention, so a batch closes when its longest member would
 * exceed this multiple of its shortest.
 */
const LENGTH_SPREAD = 1.5;

/** Characters kept before tokenising; generous for any `maxTokens` (a token is rarely over 16 characters). */
const CHARS_PER_TOKEN_CAP = 16;

/** Models trained with instruction prefixes; e5 wants "query: " on both sides of a symmetric task. */
function textPrefixFor(modelId: string): string {
  return /(^|\/)(multilingual-)?e5-/i.test(modelId) ? 'query: ' : '';
}

/** Files transformers.js needs to load a model from a local directory. */
export function missingModelFiles(modelDir: string): string[] {
  const exists = (file: string) => {
    try {
      return fs.statSync(path.join(modelDir, file)).size > 0;
    } catch {
      return false;
    }
  };
  const missing = ['config.json', 'tokenizer.json', 'tokenizer_config.json'].filter((file) => !exists(file));
  if (!exists('onnx/model_quantized.onnx') && !exists('onnx/model.onnx')) missing.push('onnx/model_quantized.onnx or onnx/model.onnx');
  return missing;
}

let threadsCapped: number | undefined;

/**
 * transformers.js 2.x creates onnxruntime sessions without session options, so by default
 * each process runs one thread per core; several workers on one host then fight for the
 * cores. The session factory is shared by the whole process, so the cap is too.
 */
function capThreads(threads: number): void {
  if (threadsCapped !== undefined) return;
  threadsCapped = threads;
  const session = ort.InferenceSession as unknown as {
    create: (model: unknown, options?: ort.InferenceSession.SessionOptions) => Promise<unknown>;
  };
  const create = session.create.bind(session);
  session.create = (model, options) =>
    create(model, { ...options, intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' });
}

/**
 * Sentence embeddings from a local transformers.js model: mean pooling over the last
 * hidden state, L2-normalised, so a dot product is a cosine. Text is truncated by tokens.
 * Use {@link getEmbedder} to share one loaded model per process.
 */
export class Embedder {
  /** Whether the int8 weights are in use. */
  readonly quantized: boolean;
  private readonly prefix: string;
  private readonly maxTokens: number;
  private readonly batchSize: number;
  private readonly bos: number;
  private readonly eos: number;
  private readonly pad: number;
  private dim = 0;

  private constructor(
    private readonly pipe: FeaturePipeline,
    readonly modelId: string,
    readonly modelDir: string,
    options: { quantized: boolean; maxTokens: number; batchSize: number },
  ) {
    this.quantized = options.quantized;
    this.prefix = textPrefixFor(modelId);
    this.maxTokens = Math.min(options.maxTokens, pipe.tokenizer.model_max_length || options.maxTokens);
    this.batchSize = options.batchSize;
    const [bos, eos] = pipe.tokenizer.encode('', null, { add_special_tokens: true });
    this.bos = bos ?? 0;
    this.eos = eos ?? 2;
    this.pad = pipe.tokenizer.pad_token_id ?? 1;
  }

  /**
   * Loads the model from `<modelsDir>/<modelId>/`. Throws {@link ModelUnavailableError}
   * when files are missing (and remote download is off) or unreadable.
   */
  static async load(options: EmbedderOptions): Promise<Embedder> {
    const modelDir = path.join(options.modelsDir, options.modelId);
    const missing = missingModelFiles(modelDir);
    if (missing.length > 0 && !options.allowRemote) {
      throw new ModelUnavailableError(
        'missing',
        modelDir,
        `model ${options.modelId} is not provisioned in ${modelDir} (missing ${missing.join(', ')})`,
      );
    }
    capThreads(options.threads ?? 1);
    transformersEnv.localModelPath = options.modelsDir;
    transformersEnv.allowLocalModels = true;
    transformersEnv.allowRemoteModels = options.allowRemote ?? false;
    transformersEnv.useBrowserCache = false;
    const hasQuantized = fs.existsSync(path.join(modelDir, 'onnx/model_quantized.onnx'));
    const quantized = (options.quantized ?? true) && (missing.length > 0 || hasQuantized);
    let pipe: FeaturePipeline;
    try {
      pipe = (await pipeline('feature-extraction', options.modelId, { quantized })) as unknown as FeaturePipeline;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new ModelUnavailableError(
        missing.length > 0 ? 'missing' : 'corrupt',
        modelDir,
        `model ${options.modelId} failed to load: ${detail}`,
        {
          cause: error,
        },
      );
    }
    const embedder = new Embedder(pipe, options.modelId, modelDir, {
      quantized,
      maxTokens: options.maxTokens ?? 128,
      batchSize: options.batchSize ?? 16,
    });
    try {
      const [probe] = await embedder.run([embedder.tokenize('probe')]);
      embedder.dim = probe!.length;
    } catch (error) {
      await pipe.model.dispose().catch(() => undefined);
      throw new ModelUnavailableError('corrupt', modelDir, `model ${options.modelId} loaded but cannot run: ${String(error)}`, {
        cause: error,
      });
    }
    return embedder;
  }

  /** Vector length. */
  get dimension(): number {
    return this.dim;
  }

  /** Token ids the model would read for `text` (special tokens included, truncated). */
  tokenize(text: string): number[] {
    const budget = this.maxTokens - 2;
    const content = this.pipe.tokenizer.encode(this.prefix + text.slice(0, this.maxTokens * CHARS_PER_TOKEN_CAP), null, {
      add_special_tokens: false,
    });
    return [this.bos, ...content.slice(0, budget), this.eos];
  }

  /** Embeds one text. */
  async embed(text: string): Promise<Float32Array> {
    const [vector] = await this.run([this.tokenize(text)]);
    return vector!;
  }

  /**
   * Embeds many texts; results come back in input order. Texts are grouped by token
   * length into batches of at most `batchSize` so little work goes into padding.
   */
  async embedBatch(texts: readonly string[]): Promise<Float32Array[]> {
    const tokens = texts.map((text) => this.tokenize(text));
    const order = tokens.map((_, i) => i).sort((a, b) => tokens[a]!.length - tokens[b]!.length);
    const out = new Array<Float32Array>(texts.length);
    let start = 0;
    while (start < order.length) {
      const shortest = tokens[order[start]!]!.length;
      let end = start + 1;
      while (end < order.length && end - start < this.batchSize && tokens[order[end]!]!.length <= shortest * LENGTH_SPREAD) end++;
      const group = order.slice(start, end);
      const vectors = await this.run(group.map((i) => tokens[i]!));
      group.forEach((index, k) => (out[index] = vectors[k]!));
      start = end;
    }
    return out;
  }

  /** Frees the onnxruntime session. */
  async dispose(): Promise<void> {
    await this.pipe.model.dispose();
  }

  /** One forward pass over padded token ids; mean pooling over real tokens, then L2 norm. */
  private async run(batch: number[][]): Promise<Float32Array[]> {
    const width = Math.max(...batch.map((ids) => ids.length));
    const size = batch.length * width;
    const ids = new BigInt64Array(size).fill(BigInt(this.pad));
    const mask = new BigInt64Array(size);
    batch.forEach((row, r) =>
      row.forEach((id, c) => {
        ids[r * width + c] = BigInt(id);
        mask[r * width + c] = 1n;
      }),
    );
    const dims = [batch.length, width];
    const output = await this.pipe.model({
      input_ids: new Tensor('int64', ids, dims),
      attention_mask: new Tensor('int64', mask, dims),
      token_type_ids: new Tensor('int64', new BigInt64Array(size), dims),
    });
    const { data, dims: outDims } = output.last_hidden_state;
    const hidden = outDims[2]!;
    return batch.map((row, r) => {
      const vector = new Float32Array(hidden);
      for (let t = 0; t < row.length; t++) {
        const offset = (r * width + t) * hidden;
        for (let h = 0; h < hidden; h++) vector[h]! += data[offset + h]!;
      }
      let length = 0;
      for (let h = 0; h < hidden; h++) length += vector[h]! * vector[h]!;
      const scale = length > 0 ? 1 / Math.sqrt(length) : 0;
      for (let h = 0; h < hidden; h++) vector[h]! *= scale;
      return vector;
    });
  }
}

const loaded = new Map<string, Promise<Embedder>>();

/**
 * The process-wide embedder for these options: the model loads once and is shared. A
 * failed load is forgotten, so a later call retries (e.g. after provisioning).
 */
export function getEmbedder(options: EmbedderOptions): Promise<Embedder> {
  const key = `${path.resolve(options.modelsDir)}|${options.modelId}|${options.quantized ?? true}`;
  let promise = loaded.get(key);
  if (!promise) {
    promise = Embedder.load(options);
    loaded.set(key, promise);
    promise.catch(() => loaded.delete(key));
  }
  return promise;
}
