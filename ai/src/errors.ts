/** Why the model could not be used; callers keep tickets flowing unclassified on any of them. */
export type ModelErrorReason = 'missing' | 'corrupt';

/**
 * The embedding model is absent or unreadable. Thrown by the embedder at load time, never
 * for bad ticket text: triage catches it, leaves the ticket unclassified and alerts once.
 */
export class ModelUnavailableError extends Error {
  constructor(
    readonly reason: ModelErrorReason,
    readonly modelDir: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelUnavailableError';
  }

  /** One line a person can act on. */
  get fix(): string {
    return this.reason === 'missing'
      ? 'run `npm start` or `npm test` once (they provision the model), or set AI_MODELS_DIR to where the model lives'
      : `delete ${this.modelDir} and run \`npm start\` or \`npm test\` again to re-provision it`;
  }
}
