import { francAll } from 'franc';

/** ISO 639-3 (franc) to ISO 639-1 for the languages helpdesks meet most; others keep their 639-3 code. */
const ISO1: Record<string, string> = {
  eng: 'en',
  deu: 'de',
  fra: 'fr',
  spa: 'es',
  por: 'pt',
  nld: 'nl',
  ita: 'it',
  pol: 'pl',
  swe: 'sv',
  dan: 'da',
  nob: 'no',
  fin: 'fi',
  ces: 'cs',
  ron: 'ro',
  hun: 'hu',
  tur: 'tr',
  rus: 'ru',
  ukr: 'uk',
  ell: 'el',
  arb: 'ar',
  heb: 'he',
  hin: 'hi',
  jpn: 'ja',
  kor: 'ko',
  cmn: 'zh',
  ind: 'id',
  vie: 'vi',
  tha: 'th',
};

const ISO3 = Object.fromEntries(Object.entries(ISO1).map(([three, one]) => [one, three]));

/** Languages considered by default: restricting the candidates makes short texts far more reliable. */
export const defaultLanguages = ['en', 'de', 'fr', 'es', 'pt', 'nl', 'it', 'pl', 'sv', 'da'] as const;

/** A detected language. */
export interface LanguageGuess {
  /** ISO 639-1 code (or 639-3 when there is none), `und` when undetermined. */
  lang: string;
  /** 0..1: the lead of the best candidate over the runner-up, as franc scores them. */
  confidence: number;
}

/**
 * Detects the language of ticket text with franc (trigram profiles, MIT, maintained),
 * among `languages` (ISO 639-1). Texts under `minLength` characters give `und`.
 */
export function detectLanguage(text: string, options: { languages?: readonly string[]; minLength?: number } = {}): LanguageGuess {
  const only = (options.languages ?? defaultLanguages).map((code) => ISO3[code] ?? code);
  const ranked = francAll(text, { only, minLength: options.minLength ?? 12 });
  const [best, second] = ranked;
  if (!best || best[0] === 'und') return { lang: 'und', confidence: 0 };
  const lead = second ? best[1] - second[1] : 1;
  return { lang: ISO1[best[0]] ?? best[0], confidence: Math.min(1, Math.max(0, lead * 5)) };
}
