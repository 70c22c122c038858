/**
 * Deterministic generator of realistic helpdesk tickets for the search benchmark: the
 * same seed yields the same tickets, so runs on different days compare like for like.
 */
import type { TicketDocument } from '@switchboard/search/search-documents';

/** A small, fast, seedable PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Topics of support conversations. Each ticket is about one topic, so its words cluster
 * the way real tickets do: "refund" shows up in billing tickets, not in every ticket.
 */
const topics: ReadonlyArray<{ subjects: string[]; customer: string[]; agent: string[]; tags: string[] }> = [
  {
    subjects: ['Charged twice for {p}', 'Refund request for {p}', 'Invoice address wrong on {p}', 'VAT number missing on invoice'],
    customer: [
      'We were charged on {d} but the payment already went through on our card.',
      'Our accountant needs a corrected invoice with our VAT number {v}.',
      'We would like a refund for the unused months of our annual plan.',
      'The invoice shows the old billing address of our Berlin office.',
      'Our credit card statement lists two identical payments of {n} euros.',
    ],
    agent: [
      'I have issued a refund of the duplicate charge; it takes 5 to 10 business days.',
      'I updated the invoice with the correct billing address and VAT number.',
      'The second payment was an authorisation hold that your bank releases automatically.',
    ],
    tags: ['billing', 'refund', 'invoice'],
  },
  {
    subjects: [
      'Cannot log in to the {p}',
      'Locked out after too many attempts',
      '{p} keeps asking for my password',
      'SSO login fails with SAML error',
    ],
    customer: [
      'I reset my password twice and still cannot sign in.',
      'After the password change the {p} rejects my credentials.',
      'Our identity provider shows a SAML assertion error {e}.',
      'The two-factor code from my authenticator app is never accepted.',
    ],
    agent: [
      'You can reset two-factor authentication from the security page in settings.',
      'I unlocked your account; the lockout lasts 30 minutes after five failed attempts.',
      'Please clear the app data and sign in again with single sign-on.',
    ],
    tags: ['login', 'sso', 'security'],
  },
  {
    subjects: ['{p} crashes on startup', 'Error 500 when opening the {p}', 'Blank screen in the {p} after update'],
    customer: [
      'Since the update to version {ver} the {p} closes right after the splash screen.',
      'The error message says "something went wrong, please try again later".',
      'I attached a screenshot of the error and the browser console log.',
      'It happens on Chrome and Firefox, Windows 11 and macOS Sonoma.',
    ],
    agent: [
      'I have escalated this to our engineering team with the crash report you shared.',
      'A fix for this crash has been deployed, could you try again and confirm?',
      'Our status page lists a partial outage of the {p} that is now resolved.',
    ],
    tags: ['bug', 'outage', 'mobile'],
  },
  {
    subjects: ['{p} is very slow since the update', 'Dashboard takes a minute to load', 'Timeouts in the {p}'],
    customer: [
      'Loading the dashboard now takes more than a minute for our team.',
      'Requests to the {p} time out during the morning peak.',
      'Performance got much worse after the migration to the new region.',
    ],
    agent: [
      'We found a slow database query behind the dashboard and shipped an index.',
      'Could you send us a HAR file recorded while the page loads?',
    ],
    tags: ['performance', 'bug'],
  },
  {
    subjects: ['{p} not syncing with my calendar', 'Synchronisation stopped for {p}', 'Duplicate contacts created by sync'],
    customer: [
      'The synchronisation stopped after we changed our password policy.',
      'Meetings created in Outlook never show up in the {p}.',
      'Every sync run creates duplicate contacts in our address book.',
    ],
    agent: [
      'Please reconnect the calendar under integrations; the token had expired.',
      'I removed the duplicate contacts and fixed the sync mapping on our side.',
    ],
    tags: ['sync', 'integration'],
  },
  {
    subjects: ['Export to PDF fails in the {p}', 'CSV import rejects my file', 'Report totals do not match'],
    customer: [
      'The export stops at 50,000 rows and the file is empty.',
      'The CSV import says that column "email" is missing but it is there.',
      'The report shows totals that do not match our spreadsheet.',
    ],
    agent: [
      'The export limit is 50,000 rows; splitting the date range works around it.',
      'The importer expects UTF-8 with a comma as separator; your file uses semicolons.',
    ],
    tags: ['export', 'import', 'reporting'],
  },
  {
    subjects: ['Feature request: dark mode for the {p}', 'Can we get keyboard shortcuts?', 'Feature request: custom fields'],
    customer: [
      'Our agents work at night and would love a dark mode.',
      'Custom fields on contacts would save us a separate spreadsheet.',
      'Keyboard shortcuts for assigning tickets would make triage faster.',
    ],
    agent: ['We have added your vote to the feature request.', 'This is on our roadmap for the next quarter.'],
    tags: ['feature-request'],
  },
  {
    subjects: ['How do I cancel my subscription', 'Upgrade from trial to paid plan', 'Change the number of seats'],
    customer: [
      'Please cancel the subscription at the end of the billing period.',
      'We want to upgrade from the trial to the business plan with {n} seats.',
      'How do I remove seats of colleagues who left the company?',
    ],
    agent: [
      'Your plan is set to cancel at the end of the current period.',
      'You can change seats any time under billing; we prorate the difference.',
    ],
    tags: ['subscription', 'churn-risk', 'billing'],
  },
  {
    subjects: ['Webhook deliveries failing for {p}', 'API returns 429 Too Many Requests', 'API token stopped working'],
    customer: [
      'Our endpoint receives no webhook deliveries since {d}.',
      'The API answers 429 although we send fewer than {n} requests per minute.',
      'The API token we created last week returns 401 unauthorized.',
    ],
    agent: [
      'Webhook deliveries were paused after repeated 5xx answers from your endpoint.',
      'The rate limit is per token; batching the requests keeps you under it.',
    ],
    tags: ['api', 'webhooks', 'integration'],
  },
  {
    subjects: ['Cannot upload attachments in the {p}', 'Permission denied in the {p}', 'Data missing after migration'],
    customer: [
      'Uploading a file larger than 10 MB fails with "permission denied".',
      'After the migration our archived projects are gone.',
      'New colleagues cannot see the shared workspace.',
    ],
    agent: ['Workspace admins can grant access under members and roles.', 'I restored the archived projects from the backup of {d}.'],
    tags: ['permissions', 'data'],
  },
];

const products = [
  'mobile app',
  'web dashboard',
  'billing portal',
  'Android app',
  'iOS app',
  'desktop client',
  'browser extension',
  'reporting module',
  'calendar integration',
  'Slack integration',
  'Salesforce connector',
  'team workspace',
];

const greetings = [
  'Hi, hope you are well.',
  'Hello support team,',
  'Good morning,',
  'This is blocking our whole team, please help as soon as possible.',
  'Could you tell me whether this is a known issue?',
  'My colleague {c} reported the same problem this morning.',
  'Thanks in advance for your help.',
];

const closings = [
  'Thanks for reaching out, {c}. I am sorry for the trouble.',
  'Let me know if there is anything else I can do.',
  'I am closing this ticket for now, reply anytime to reopen it.',
];

const firstNames = [
  'Alice',
  'Bruno',
  'Chloé',
  'Daniel',
  'Emma',
  'Farid',
  'Grace',
  'Hiroshi',
  'Ingrid',
  'Jonas',
  'Kateryna',
  'Liam',
  'María',
  'Nikolai',
  'Olivia',
  'Pedro',
  'Quentin',
  'Rosa',
  'Sven',
  'Tomás',
  'Uma',
  'Victor',
  'Wei',
  'Yasmin',
  'Zoé',
];
const lastNames = [
  'Andersen',
  'Becker',
  'Costa',
  'Dubois',
  'Evans',
  'Fischer',
  'García',
  'Hansen',
  'Ivanova',
  'Johnson',
  'Kowalski',
  'Larsen',
  'Müller',
  'Nakamura',
  'Oliveira',
  'Petrov',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Weber',
];
const orgWords = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Stark',
  'Wayne',
  'Hooli',
  'Vandelay',
  'Soylent',
  'Tyrell',
  'Cyberdyne',
  'Aperture',
];
const orgSuffixes = ['GmbH', 'Ltd', 'Inc', 'SA', 'BV', 'Labs', 'Group', 'Studio'];
const statuses = ['new', 'open', 'open', 'open', 'pending', 'on_hold', 'solved', 'solved', 'closed'] as const;
const priorities = ['low', 'normal', 'normal', 'normal', 'high', 'urgent'] as const;

/** Options of {@link generateTickets}. */
export interface TicketGeneratorOptions {
  count: number;
  seed: number;
  /** Tenant ids and their share of the tickets (weights). */
  tenants: ReadonlyArray<{ id: string; weight: number }>;
}

/** Tenants of the benchmark: unequal sizes, like real customers of a hosted helpdesk. */
export const benchTenants = [
  { id: 'tenant_alpha', weight: 40 },
  { id: 'tenant_bravo', weight: 25 },
  { id: 'tenant_charlie', weight: 15 },
  { id: 'tenant_delta', weight: 12 },
  { id: 'tenant_echo', weight: 8 },
] as const;

/** Yields `count` tickets spread over the tenants, deterministic for a seed. */
export function* generateTickets({ count, seed, tenants }: TicketGeneratorOptions): Generator<TicketDocument> {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const totalWeight = tenants.reduce((sum, t) => sum + t.weight, 0);
  const numbers = new Map<string, number>();
  const start = Date.UTC(2024, 0, 1);
  const span = 365 * 24 * 3600 * 1000;
  const fill = (template: string, product: string, customer: string) =>
    template
      .replaceAll('{p}', product)
      .replaceAll('{c}', customer)
      .replaceAll('{n}', String(2 + Math.floor(random() * 300)))
      .replaceAll('{v}', `EU${100000000 + Math.floor(random() * 899999999)}`)
      .replaceAll('{e}', `AADSTS${50000 + Math.floor(random() * 9999)}`)
      .replaceAll('{ver}', `${4 + Math.floor(random() * 3)}.${Math.floor(random() * 20)}.${Math.floor(random() * 10)}`)
      .replaceAll('{d}', new Date(start + Math.floor(random() * span)).toISOString().slice(0, 10));

  for (let i = 0; i < count; i++) {
    let roll = random() * totalWeight;
    let tenant = tenants[0]!;
    for (const candidate of tenants) {
      roll -= candidate.weight;
      if (roll <= 0) {
        tenant = candidate;
        break;
      }
    }
    const number = (numbers.get(tenant.id) ?? 1000) + 1;
    numbers.set(tenant.id, number);
    const product = pick(products);
    const topic = pick(topics);
    const first = pick(firstNames);
    const last = pick(lastNames);
    const org = `${pick(orgWords)} ${pick(orgSuffixes)}`;
    const messages: string[] = [];
    const turns = 1 + Math.floor(random() * 5);
    for (let turn = 0; turn < turns; turn++) {
      const customer = turn % 2 === 0;
      const message: string[] = [fill(pick(customer ? greetings : closings), product, first)];
      const sentences = 1 + Math.floor(random() * 3);
      for (let s = 0; s < sentences; s++) message.push(fill(pick(customer ? topic.customer : topic.agent), product, first));
      messages.push(message.join(' '));
    }
    const createdAt = start + Math.floor(random() * span);
    const tags = new Set<string>();
    if (random() < 0.7) tags.add(pick(topic.tags));
    if (random() < 0.1) tags.add('vip');
    yield {
      tenantId: tenant.id,
      id: `${tenant.id}_t${String(i).padStart(6, '0')}`,
      number,
      subject: fill(pick(topic.subjects), product, first).replace(/^./, (c) => c.toUpperCase()),
      body: messages.join('\n\n'),
      status: pick(statuses),
      priority: pick(priorities),
      teamId: random() < 0.9 ? `team_${1 + Math.floor(random() * 6)}` : null,
      assigneeId: random() < 0.7 ? `agent_${1 + Math.floor(random() * 40)}` : null,
      categoryId: random() < 0.8 ? `cat_${1 + Math.floor(random() * 12)}` : null,
      tags: [...tags],
      requesterName: `${first} ${last}`,
      requesterEmail: `${first}.${last}@${org.split(' ')[0]}.example`.toLowerCase(),
      organisationName: random() < 0.85 ? org : null,
      createdAt: new Date(createdAt),
      updatedAt: new Date(createdAt + Math.floor(random() * 14 * 24 * 3600 * 1000)),
    };
  }
}
