import type { Ctx } from '../context.ts';
import type { Domain } from '../domain.ts';
import type { Role } from '../context.ts';
import { oid } from '../lib/ids.ts';
import type { User } from '../users/user.model.ts';

/** The password of every demo account (local development only; printed by `npm start`). */
export const DEMO_PASSWORD = 'switchboard-demo';

/** One demo login, as printed. */
export interface DemoLogin {
  tenant: string;
  role: Role;
  name: string;
  email: string;
}

interface DemoTenant {
  slug: string;
  name: string;
  timezone: string;
  domain: string;
  people: Array<{ role: Role; name: string; local: string; skills?: string[]; team?: string }>;
  organisation: string;
  tickets: Array<{
    subject: string;
    body: string;
    priority?: 'low' | 'normal' | 'high' | 'urgent';
    category: string;
    reply?: string;
    note?: string;
    status?: 'pending' | 'solved';
  }>;
}

const TENANTS: DemoTenant[] = [
  {
    slug: 'acme',
    name: 'Acme Support',
    timezone: 'Europe/Berlin',
    domain: 'acme.test',
    organisation: 'Road Runner Logistics',
    people: [
      { role: 'admin', name: 'Ada Admin', local: 'admin' },
      { role: 'manager', name: 'Max Manager', local: 'manager' },
      { role: 'agent', name: 'Alice Agent', local: 'alice', skills: ['billing', 'english', 'german'], team: 'Billing' },
      { role: 'agent', name: 'Bob Agent', local: 'bob', skills: ['technical', 'english'], team: 'Technical' },
      { role: 'customer', name: 'Carla Customer', local: 'carla' },
    ],
    tickets: [
      {
        subject: 'Invoice 2041 charged twice',
        body: 'Hi, our card was charged twice for invoice 2041 this month. Can you refund one of them?',
        priority: 'high',
        category: 'Billing',
        reply: 'Sorry about that, Carla. I have started the refund; it shows within 3–5 days.',
      },
      {
        subject: 'Cannot log in after password change',
        body: 'Since changing my password this morning the app says my session expired, every time.',
        category: 'Access',
        note: 'Looks like the stale-session bug from last week. @Bob can you check?',
      },
      {
        subject: 'Export to CSV is missing columns',
        body: 'The monthly export lost the "cost centre" column after the last update.',
        priority: 'low',
        category: 'Technical',
        status: 'pending',
        reply: 'Thanks! Which export template do you use?',
      },
    ],
  },
  {
    slug: 'globex',
    name: 'Globex Helpdesk',
    timezone: 'America/New_York',
    domain: 'globex.test',
    organisation: 'Initech',
    people: [
      { role: 'admin', name: 'Gina Admin', local: 'admin' },
      { role: 'manager', name: 'Hank Manager', local: 'manager' },
      { role: 'agent', name: 'Iris Agent', local: 'iris', skills: ['billing', 'english'], team: 'Billing' },
      { role: 'agent', name: 'Jack Agent', local: 'jack', skills: ['technical', 'spanish'], team: 'Technical' },
      { role: 'customer', name: 'Peter Customer', local: 'peter' },
    ],
    tickets: [
      { subject: 'TPS report template broken', body: 'The new cover sheet template does not print the header.', category: 'Technical' },
      {
        subject: 'Upgrade to the enterprise plan',
        body: 'We would like a quote for 250 seats.',
        category: 'Billing',
        status: 'solved',
        reply: 'Quote sent by email — thanks for growing with us!',
      },
    ],
  },
];

const CATEGORIES: Array<{ name: string; description: string; team?: string; skill?: string }> = [
  { name: 'Billing', description: 'Invoices, payments, refunds, plans, pricing and subscriptions.', team: 'Billing', skill: 'billing' },
  { name: 'Access', description: 'Signing in, passwords, two-factor authentication, locked or disabled accounts.', team: 'Technical' },
  {
    name: 'Technical',
    description: 'Bugs, errors, broken features, exports, integrations and performance problems.',
    team: 'Technical',
    skill: 'technical',
  },
];

/** Knowledge-base articles of every demo tenant (all published; the last one for staff only). */
const ARTICLES: Array<{ title: string; body: string; section: 'Account' | 'Billing'; tags: string[]; visibility: 'public' | 'internal' }> =
  [
    {
      title: 'Reset your password',
      body: 'Open the sign-in page, choose "Forgot password" and follow the link we mail you. The link works once, for one hour.',
      section: 'Account',
      tags: ['password', 'sign-in'],
      visibility: 'public',
    },
    {
      title: 'Why was my card charged twice?',
      body: 'A second charge is usually a pending authorisation that disappears within five days. If it stays, write to us with the invoice number and we refund it.',
      section: 'Billing',
      tags: ['invoice', 'refund'],
      visibility: 'public',
    },
    {
      title: 'Refund checklist for agents',
      body: 'Check the invoice in the billing tool, refund the duplicate only, note the refund id on the ticket and set it to pending.',
      section: 'Billing',
      tags: ['refund'],
      visibility: 'internal',
    },
  ];

/**
 * Creates the demo tenants through the domain services (so they carry real events) when
 * they do not exist yet. Idempotent: a tenant that exists is left exactly as it is.
 */
export async function seedDemo(domain: Domain): Promise<DemoLogin[]> {
  const logins: DemoLogin[] = [];
  for (const spec of TENANTS) {
    for (const person of spec.people)
      logins.push({ tenant: spec.slug, role: person.role, name: person.name, email: `${person.local}@${spec.domain}` });
    if (await domain.models.Tenant.exists({ slug: spec.slug })) continue;
    await seedTenant(domain, spec);
  }
  return logins;
}

async function seedTenant(domain: Domain, spec: DemoTenant): Promise<void> {
  const adminSpec = spec.people.find((p) => p.role === 'admin')!;
  const { tenant, admin } = await domain.tenants.signUp(
    {
      slug: spec.slug,
      name: spec.name,
      timezone: spec.timezone,
      admin: { name: adminSpec.name, email: `${adminSpec.local}@${spec.domain}`, password: DEMO_PASSWORD },
    },
    { force: true },
  );
  const adminCtx: Ctx = { tenantId: tenant._id, actor: { kind: 'user', userId: admin._id, role: 'admin', name: admin.name } };
  const teams = new Map<string, string>();
  for (const name of ['Billing', 'Technical'])
    teams.set(name, (await domain.teams.create(adminCtx, { name, description: `${name} questions`, assignment: 'least_loaded' })).id);
  const categories = new Map<string, string>();
  for (const c of CATEGORIES) {
    const created = await domain.categories.create(adminCtx, {
      name: c.name,
      description: c.description,
      teamId: c.team ? teams.get(c.team)! : null,
      skill: c.skill ?? null,
      active: true,
    });
    categories.set(c.name, created.id);
  }
  const organisation = await domain.organisations.create(adminCtx, {
    name: spec.organisation,
    domains: [],
    notes: 'Demo client',
    locations: [{ name: 'Head office', address: '1 Demo Street', phone: null }],
  });
  const people = new Map<string, User>();
  for (const person of spec.people.filter((p) => p.role !== 'admin')) {
    const user = await domain.users.create(adminCtx, {
      email: `${person.local}@${spec.domain}`,
      name: person.name,
      role: person.role,
      password: DEMO_PASSWORD,
      organisationId: person.role === 'customer' ? organisation.id : undefined,
      teamIds: person.team ? [teams.get(person.team)!] : undefined,
      skills: person.skills,
    });
    people.set(person.local, user);
  }
  const customer = [...people.values()].find((u) => u.role === 'customer')!;
  const agents = [...people.values()].filter((u) => u.role === 'agent');
  const customerCtx: Ctx = {
    tenantId: tenant._id,
    actor: { kind: 'user', userId: customer._id, role: 'customer', name: customer.name, organisationId: customer.organisationId ?? null },
  };
  for (const [index, t] of spec.tickets.entries()) {
    const agent = agents[index % agents.length]!;
    const agentCtx: Ctx = { tenantId: tenant._id, actor: { kind: 'user', userId: agent._id, role: 'agent', name: agent.name } };
    const { ticket } = await domain.tickets.create(customerCtx, { subject: t.subject, body: t.body, format: 'text' }, 'portal');
    const id = oid(ticket.id);
    await domain.tickets.update(adminCtx, id, { categoryId: categories.get(t.category)!, ...(t.priority ? { priority: t.priority } : {}) });
    await domain.tickets.assign(adminCtx, id, {
      assigneeId: agent._id.toHexString(),
      teamId: teams.get(CATEGORIES.find((c) => c.name === t.category)?.team ?? 'Technical')!,
    });
    if (t.note) await domain.conversation.add(agentCtx, id, { kind: 'note', body: t.note, format: 'text' });
    if (t.reply) await domain.conversation.add(agentCtx, id, { kind: 'reply', body: t.reply, format: 'text' });
    if (t.status) await domain.tickets.changeStatus(agentCtx, id, t.status);
  }
  const help = await domain.kb.createSection(adminCtx, {
    name: 'Getting started',
    description: 'Accounts, billing and the basics',
    parentId: null,
    position: 0,
  });
  const sections = new Map<string, string | null>();
  for (const [position, name] of ['Account', 'Billing'].entries())
    sections.set(name, (await domain.kb.createSection(adminCtx, { name, description: '', parentId: help.id, position })).id);
  for (const a of ARTICLES) {
    const article = await domain.kb.create(adminCtx, {
      title: a.title,
      body: a.body,
      format: 'text',
      sectionId: sections.get(a.section) ?? null,
      locale: 'en',
      visibility: a.visibility,
      tags: a.tags,
      note: '',
    });
    await domain.kb.publish(adminCtx, oid(article.id));
  }
}
