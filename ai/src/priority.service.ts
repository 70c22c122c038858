import { dot, type Vector } from './vector.util.ts';

/** Ticket priority, lowest first. */
export const priorities = ['low', 'normal', 'high', 'urgent'] as const;

/** One of {@link priorities}. */
export type Priority = (typeof priorities)[number];

/** A suggested priority with the cues that led to it. */
export interface PriorityHint {
  priority: Priority;
  /** The phrases or signals that fired, for the agent to see why. */
  cues: string[];
}

interface Cue {
  level: Priority;
  label: string;
  pattern: RegExp;
}

// Word boundaries via lookarounds on letters, because \b does not know accented letters.
const w = (alternatives: string) => new RegExp(`(?<![\\p{L}])(?:${alternatives})(?![\\p{L}])`, 'iu');

const cues: Cue[] = [
  { level: 'urgent', label: 'urgent', pattern: w('urgent|urgently|asap|emergency|critical|immediately|right now') },
  {
    level: 'urgent',
    label: 'outage',
    pattern: w('(?:is|are|went|has gone|completely) down|outage|production (?:is )?down|site down|not loading at all'),
  },
  { level: 'urgent', label: 'dringend (de)', pattern: w('dringend|sofort|notfall|eilt|kritisch|komplett ausgefallen|geht gar nichts') },
  { level: 'urgent', label: 'urgent (fr)', pattern: w('urgence|urgent|immédiatement|en panne|critique|bloquant') },
  {
    level: 'urgent',
    label: 'urgente (es/pt)',
    pattern: w('urgente|urgência|urgencia|inmediato|imediatamente|de inmediato|caído|fora do ar|crítico'),
  },
  { level: 'urgent', label: 'spoed (nl)', pattern: w('spoed|dringend|onmiddellijk|ligt plat|kritiek') },
  {
    level: 'high',
    label: 'blocked',
    pattern: w(
      'blocked|blocking|cannot work|can.t work|all (?:our )?users|whole team|data loss|lost (?:all|our) data|security|hacked|breach|deadline|today',
    ),
  },
  { level: 'high', label: 'blockiert (de)', pattern: w('blockiert|alle nutzer|datenverlust|gehackt|heute noch|so schnell wie möglich') },
  {
    level: 'high',
    label: 'bloqué (fr/es/pt/nl)',
    pattern: w('bloqué|bloqueado|bloqueada|aujourd.hui|hoy mismo|hoje|perte de données|pérdida de datos|vandaag nog|geblokkeerd'),
  },
  {
    level: 'low',
    label: 'no rush',
    pattern: w('no rush|no hurry|not urgent|when you (?:have|get) (?:a )?(?:time|chance)|just (?:curious|wondering)|low priority|whenever'),
  },
  {
    level: 'low',
    label: 'keine Eile (de/fr/es/pt/nl)',
    pattern: w(
      'keine eile|nicht dringend|pas urgent|rien d.urgent|sin prisa|no es urgente|sem pressa|não é urgente|geen haast|niet dringend',
    ),
  },
];

const rank = (p: Priority) => priorities.indexOf(p);

/** Embeddings of phrases that mean "this is urgent", for the optional similarity cue. */
export const urgentPrototypeTexts = [
  'This is an emergency, our production system is down and nothing works.',
  'Dringend: unser System ist komplett ausgefallen, wir können nicht arbeiten.',
  'Urgent : le service est en panne, tous nos utilisateurs sont bloqués.',
  'Urgente: el sistema está caído y perdemos ventas cada minuto.',
];

/** Options for {@link priorityHint}. */
export interface PriorityHintOptions {
  /** The ticket's embedding, to compare with `urgentPrototypes`. */
  vector?: Vector;
  /** Stored embeddings of {@link urgentPrototypeTexts}. */
  urgentPrototypes?: readonly Vector[];
  /** Cosine at or above which similarity alone suggests `high`. */
  similarityThreshold?: number;
}

/**
 * Suggests a priority from urgency cues: multilingual keyword patterns, shouting (several
 * `!!!` or an all-caps subject) and, when given, closeness to urgent prototypes. The
 * strongest signal wins; a "no rush" cue lowers to `low` only when nothing urgent fired.
 */
export function priorityHint(text: string, options: PriorityHintOptions = {}): PriorityHint {
  // "not urgent" contains "urgent": calm phrases are cut out before the other cues look.
  const calm = cues.filter((cue) => cue.level === 'low');
  const rest = calm.reduce((t, cue) => t.replace(new RegExp(cue.pattern.source, 'giu'), ' '), text);
  const fired = [...calm.filter((cue) => cue.pattern.test(text)), ...cues.filter((cue) => cue.level !== 'low' && cue.pattern.test(rest))];
  const hits: Array<{ level: Priority; label: string }> = fired.map(({ level, label }) => ({ level, label }));
  if (/!{3,}/.test(text)) hits.push({ level: 'high', label: '!!!' });
  const firstLine = text.split('\n', 1)[0] ?? '';
  const letters = firstLine.replace(/[^\p{L}]/gu, '');
  if (letters.length >= 8 && letters === letters.toUpperCase() && letters !== letters.toLowerCase())
    hits.push({ level: 'high', label: 'ALL CAPS' });
  if (options.vector && options.urgentPrototypes?.length) {
    const similarity = Math.max(...options.urgentPrototypes.map((p) => dot(options.vector!, p)));
    if (similarity >= (options.similarityThreshold ?? 0.9))
      hits.push({ level: 'high', label: `similar to urgent (${similarity.toFixed(2)})` });
  }
  const raising = hits.filter((h) => h.level !== 'low');
  if (raising.length > 0) {
    const top = raising.reduce((a, b) => (rank(b.level) > rank(a.level) ? b : a));
    return { priority: top.level, cues: raising.map((h) => h.label) };
  }
  const lowering = hits.filter((h) => h.level === 'low');
  return lowering.length > 0 ? { priority: 'low', cues: lowering.map((h) => h.label) } : { priority: 'normal', cues: [] };
}
