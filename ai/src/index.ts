export { aiEnvSchema, defaultModelsDir, loadAiEnv, type AiEnv } from './env.ts';
export { ModelUnavailableError, type ModelErrorReason } from './errors.ts';
export { Embedder, getEmbedder, missingModelFiles, type EmbedderOptions } from './embedder.service.ts';
export { prepareTicketText, stripHtml, normalizeWhitespace, type PreparedText, type TicketTextInput } from './ticket-text.util.ts';
export {
  TicketClassifier,
  categoryText,
  defaultClassifierOptions,
  type Category,
  type CategoryScore,
  type Classification,
  type ClassifierOptions,
  type EmbeddedCategory,
  type LabelledExample,
} from './classifier.service.ts';
export { detectLanguage, defaultLanguages, type LanguageGuess } from './language.service.ts';
export {
  priorityHint,
  priorities,
  urgentPrototypeTexts,
  type Priority,
  type PriorityHint,
  type PriorityHintOptions,
} from './priority.service.ts';
export { findDuplicates, type DuplicateMatch, type OpenTicketVector } from './duplicates.service.ts';
export * from './routing.service.ts';
export { cosine, dot, normalize, type Vector } from './vector.util.ts';
