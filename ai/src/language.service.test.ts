import { describe, expect, it } from 'vitest';
import { detectLanguage } from './language.service.ts';

describe('detectLanguage', () => {
  it.each([
    ['I was charged twice for my subscription this month, please refund me.', 'en'],
    ['Ich wurde diesen Monat zweimal für mein Abonnement belastet.', 'de'],
    ["Je n'arrive plus à me connecter à mon compte depuis hier soir.", 'fr'],
    ['El paquete no ha llegado todavía, ¿dónde está mi pedido?', 'es'],
    ['Não consigo acessar minha conta desde ontem, aparece erro.', 'pt'],
    ['Ik kan sinds vanochtend niet meer inloggen op mijn account.', 'nl'],
  ])('%s -> %s', (text, lang) => {
    const guess = detectLanguage(text);
    expect(guess.lang).toBe(lang);
    expect(guess.confidence).toBeGreaterThan(0);
  });

  it('says und for text too short or without letters', () => {
    expect(detectLanguage('ok')).toEqual({ lang: 'und', confidence: 0 });
    expect(detectLanguage('')).toEqual({ lang: 'und', confidence: 0 });
    expect(detectLanguage('🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂')).toEqual({ lang: 'und', confidence: 0 });
  });

  it('only picks among the allowed languages', () => {
    expect(detectLanguage('Ik kan sinds vanochtend niet meer inloggen op mijn account.', { languages: ['en', 'de'] }).lang).toMatch(
      /^(en|de)$/,
    );
  });

  it('reports languages outside the ISO 639-1 table by their franc code', () => {
    expect(detectLanguage('Dit is nie die regte bestelling nie, ek wil dit terugstuur asseblief.', { languages: ['en', 'afr'] }).lang).toBe(
      'afr',
    );
  });
});
