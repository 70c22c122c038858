import { describe, expect, it } from 'vitest';
import { priorityHint } from './priority.service.ts';
import { normalize } from './vector.util.ts';

describe('priorityHint', () => {
  it.each([
    ['URGENT: production is down for all users', 'urgent'],
    ['Our site is down since 9am', 'urgent'],
    ['Dringend: Das System ist komplett ausgefallen', 'urgent'],
    ["Urgence : l'application est en panne", 'urgent'],
    ['Es urgente, el servidor está caído', 'urgent'],
    ['O sistema está fora do ar, é urgente', 'urgent'],
    ['Spoed: de website ligt plat', 'urgent'],
    ['We are blocked and cannot work on the release', 'high'],
    ['Possible security breach, please check', 'high'],
    ['Ich brauche das heute noch, wir sind blockiert', 'high'],
    ['Where do I change my avatar?', 'normal'],
    ['No rush, just wondering if you support SAML', 'low'],
    ['Keine Eile, aber gibt es einen Dunkelmodus?', 'low'],
    ['Pas urgent : une question sur les factures', 'low'],
    ['Sem pressa, é só uma dúvida', 'low'],
  ] as const)('%s -> %s', (text, expected) => {
    expect(priorityHint(text).priority).toBe(expected);
  });

  it('does not match cue words inside other words', () => {
    expect(priorityHint('The download button is grey').priority).toBe('normal');
    expect(priorityHint('Our shutdown script').priority).toBe('normal');
  });

  it('lets an urgent cue win over a calm one and names the cues', () => {
    const hint = priorityHint('Not urgent for me but production is down for the team');
    expect(hint.priority).toBe('urgent');
    expect(hint.cues).toContain('outage');
  });

  it('treats shouting as high', () => {
    expect(priorityHint('HELP ME WITH MY INVOICE PLEASE\nthanks')).toEqual({ priority: 'high', cues: ['ALL CAPS'] });
    expect(priorityHint('where is my parcel!!!')).toEqual({ priority: 'high', cues: ['!!!'] });
  });

  it('uses similarity to urgent prototypes when given', () => {
    const prototype = normalize([1, 0, 0]);
    expect(priorityHint('plain words', { vector: normalize([0.99, 0.1, 0]), urgentPrototypes: [prototype] }).priority).toBe('high');
    expect(priorityHint('plain words', { vector: normalize([0.2, 1, 0]), urgentPrototypes: [prototype] }).priority).toBe('normal');
  });

  it('handles empty and emoji-only text', () => {
    expect(priorityHint('')).toEqual({ priority: 'normal', cues: [] });
    expect(priorityHint('🔥🔥🔥')).toEqual({ priority: 'normal', cues: [] });
  });
});
