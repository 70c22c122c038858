import { beforeAll, describe, expect, it } from 'vitest';
import { categoryText, TicketClassifier, type Category, type EmbeddedCategory } from './classifier.service.ts';
import type { Embedder } from './embedder.service.ts';
import { findDuplicates } from './duplicates.service.ts';
import { priorityHint, urgentPrototypeTexts } from './priority.service.ts';
import { testEmbedder } from './testing/model.ts';
import { prepareTicketText, type TicketTextInput } from './ticket-text.util.ts';

// Ticket -> text -> real embedding -> classifier, as the classify worker will run it.
const categories: Category[] = [
  { id: 'billing', name: 'Billing', description: 'Invoices, charges, refunds, payment methods and subscription prices.' },
  { id: 'login', name: 'Login and access', description: 'Cannot sign in, password resets, locked accounts, two-factor codes.' },
  { id: 'shipping', name: 'Shipping', description: 'Orders, parcels, tracking numbers, late or damaged deliveries.' },
];

const tickets: Array<TicketTextInput & { category: string }> = [
  { category: 'billing', subject: 'Refund please', body: 'I was charged twice for the same month.' },
  { category: 'billing', subject: 'Rechnung', body: 'Auf der Rechnung fehlt unsere Umsatzsteuer-ID.' },
  { category: 'billing', subject: 'Cobro duplicado', body: 'Me cobraron dos veces la suscripción.' },
  { category: 'login', subject: "Can't log in", body: 'It says invalid password but I did not change it.' },
  { category: 'login', subject: 'Mot de passe', body: "Je ne reçois pas l'e-mail de réinitialisation du mot de passe." },
  { category: 'login', subject: 'Konto gesperrt', body: 'Nach drei Fehlversuchen ist mein Konto gesperrt.' },
  { category: 'shipping', subject: 'Where is my order', body: 'Tracking has not updated for a week.' },
  { category: 'shipping', subject: 'Pakket beschadigd', body: 'Mijn pakket kwam kapot aan.' },
  { category: 'shipping', subject: 'Pedido atrasado', body: 'Meu pedido ainda não chegou.' },
];

let embedder: Embedder;
let embedded: EmbeddedCategory[];
let vectors: Float32Array[];

async function embedTicket(input: TicketTextInput): Promise<Float32Array | null> {
  const prepared = prepareTicketText(input);
  return prepared.ok ? embedder.embed(prepared.text) : null;
}

beforeAll(async () => {
  embedder = await testEmbedder();
  const categoryVectors = await embedder.embedBatch(categories.map(categoryText));
  embedded = categories.map((c, i) => ({ ...c, vector: Array.from(categoryVectors[i]!) }));
  vectors = await embedder.embedBatch(tickets.map((t) => (prepareTicketText(t) as { text: string }).text));
}, 15 * 60_000);

describe('triage with the real model', () => {
  it('classifies multilingual tickets zero-shot from descriptions', () => {
    const classifier = new TicketClassifier(embedded);
    const predictions = vectors.map((v) => classifier.classify(v).categoryId);
    const correct = predictions.filter((p, i) => p === tickets[i]!.category).length;
    // Short non-English tickets against English descriptions are the hard case (about
    // 80 % on the evaluation set, see ai/README.md); English ones must all be right.
    expect(correct).toBeGreaterThanOrEqual(7);
    expect([predictions[0], predictions[3], predictions[6]]).toEqual(['billing', 'login', 'shipping']);
  });

  it('blends in stored labels without re-embedding, and keeps classifying', async () => {
    const labelled = vectors.map((vector, i) => ({ categoryId: tickets[i]!.category, vector: Array.from(vector) }));
    const classifier = new TicketClassifier(embedded, labelled);
    expect(classifier.labelCount).toBe(9);
    const fresh = [
      { category: 'billing', subject: 'Invoice', body: 'Please send me a receipt for my last payment.' },
      { category: 'login', subject: 'Zugang', body: 'Ich komme nicht mehr in mein Konto, der Code der App wird abgelehnt.' },
      { category: 'shipping', subject: 'Livraison', body: "Mon colis n'est toujours pas arrivé." },
    ];
    for (const ticket of fresh) {
      const result = classifier.classify(await embedTicket(ticket));
      expect(result.categoryId).toBe(ticket.category);
      expect(result.supervisedWeight).toBeGreaterThan(0);
      expect(result.runnerUps).toHaveLength(2);
      expect(result.runnerUps[0]!.supervised).toBeDefined();
    }
  });

  it('gives unknown, never an error, for input without words', async () => {
    const classifier = new TicketClassifier(embedded);
    for (const input of [{}, { subject: '', body: '   ' }, { body: '🙂🙂🔥' }, { body: '<div><br></div>' }]) {
      expect(classifier.classify(await embedTicket(input))).toMatchObject({ decision: 'unknown', categoryId: null });
    }
  });

  it('classifies HTML and huge tickets', async () => {
    const classifier = new TicketClassifier(embedded);
    const html = await embedTicket({
      subject: 'Question',
      body: '<p>My <b>parcel</b> never arrived, the <a href="#">tracking</a> shows nothing.</p>',
    });
    expect(classifier.classify(html).categoryId).toBe('shipping');
    const huge = await embedTicket({ subject: 'Refund for double charge', body: 'You charged my card twice. '.repeat(5_000) });
    expect(classifier.classify(huge).categoryId).toBe('billing');
  });

  it('finds a duplicate from the same requester and not an unrelated ticket', async () => {
    const first = (await embedTicket({ subject: 'Charged twice', body: 'I was billed two times this month, please refund one.' }))!;
    const again = (await embedTicket({ subject: 'Double charge', body: 'You billed me twice this month, I need one payment refunded.' }))!;
    const other = (await embedTicket({ subject: 'Tracking', body: 'My parcel is lost, the tracking number does not work.' }))!;
    const open = [
      { ticketId: 'first', requesterId: 'r1', vector: first },
      { ticketId: 'other', requesterId: 'r1', vector: other },
      { ticketId: 'theirs', requesterId: 'r2', vector: first },
    ];
    expect(findDuplicates({ requesterId: 'r1', vector: again }, open).map((m) => m.ticketId)).toEqual(['first']);
  });

  it('raises the priority of a ticket close to the urgent prototypes', async () => {
    const prototypes = await embedder.embedBatch(urgentPrototypeTexts);
    const outage = (await embedTicket({ body: 'Our whole system stopped working, nobody in the company can work, help' }))!;
    const calm = (await embedTicket({ body: 'Could you tell me how to change my profile picture?' }))!;
    expect(priorityHint('plain text', { vector: outage, urgentPrototypes: prototypes }).priority).toBe('high');
    expect(priorityHint('plain text', { vector: calm, urgentPrototypes: prototypes }).priority).toBe('normal');
  });
});
