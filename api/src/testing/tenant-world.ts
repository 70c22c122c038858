/**
 * A populated test tenant built through the REST API: every role, an organisation with
 * two customers and a customer outside it, a team, a category, macros, tickets with a
 * public reply and an internal note, a time entry, an API token, a webhook, a recurring
 * schedule, an uploaded attachment, and a knowledge base (a category with a section, a
 * published public article with a file, a published internal one and a draft), indexed
 * for search. Every name and text carries the tenant's `marker`, so a test can prove that
 * a response holds nothing of it.
 */
import { Types } from 'mongoose';
import { expect } from 'vitest';
import { identityHmac } from '../widget/widget-token.ts';
import { randomIp, uniqueSuffix, type ApiHarness, type Person, type TenantFixture } from './api-harness.ts';
import { multipartBody } from './multipart.ts';

/** The ids of one tenant's objects, by kind (what a cross-tenant probe aims at). */
export interface TenantIds {
  ticketId: string;
  entryId: string;
  noteId: string;
  timeEntryId: string;
  userId: string;
  agentId: string;
  customerId: string;
  organisationId: string;
  teamId: string;
  categoryId: string;
  macroId: string;
  tokenId: string;
  webhookId: string;
  scheduleId: string;
  attachmentId: string;
  slaCalendarId: string;
  slaPolicyId: string;
  boardId: string;
  /** A knowledge-base category and the section inside it. */
  kbCategoryId: string;
  sectionId: string;
  /** Published public, published internal and draft articles (all in `sectionId`). */
  articleId: string;
  internalArticleId: string;
  draftArticleId: string;
  /** A file on the public article. */
  kbFileId: string;
}

/** A populated tenant. */
export interface TenantWorld extends TenantFixture {
  /** Appears in every name and text of this tenant. */
  marker: string;
  /** The public key of the tenant's chat widget. */
  widgetKey: string;
  /** A widget session token of `customer`, verified by the tenant's identity secret (widget routes). */
  widgetToken: string;
  manager: Person;
  agent: Person;
  agent2: Person;
  /** A customer of `organisationId`. */
  customer: Person;
  /** Another customer of the same organisation. */
  colleague: Person;
  /** A customer without an organisation. */
  outsider: Person;
  organisationId: string;
  otherOrganisationId: string;
  teamId: string;
  categoryId: string;
  /** A shared macro and one of `agent`'s personal macros. */
  macroId: string;
  personalMacroId: string;
  /** Tickets opened by each customer, and one staff opened for `customer` by email. */
  tickets: { customer: string; colleague: string; outsider: string };
  /** Public reply and internal note on the customer's ticket. */
  replyId: string;
  noteId: string;
  /** The note's text (customers must never see it). */
  noteText: string;
  timeEntryId: string;
  /** An API token of the admin (id, and the secret shown once). */
  tokenId: string;
  token: string;
  ids: TenantIds;
}

/** Ids that exist nowhere: what a probe sends to compare with a foreign tenant's real ids. */
export function ghostIds(): TenantIds {
  const fresh = () => new Types.ObjectId().toHexString();
  return {
    ticketId: fresh(),
    entryId: fresh(),
    noteId: fresh(),
    timeEntryId: fresh(),
    userId: fresh(),
    agentId: fresh(),
    customerId: fresh(),
    organisationId: fresh(),
    teamId: fresh(),
    categoryId: fresh(),
    macroId: fresh(),
    tokenId: fresh(),
    webhookId: fresh(),
    scheduleId: fresh(),
    attachmentId: fresh(),
    slaCalendarId: fresh(),
    slaPolicyId: fresh(),
    boardId: fresh(),
    kbCategoryId: fresh(),
    sectionId: fresh(),
    articleId: fresh(),
    internalArticleId: fresh(),
    draftArticleId: fresh(),
    kbFileId: fresh(),
  };
}

/** Builds a populated tenant through the API (about 15 argon2 hashes: call once per file). */
export async function buildTenantWorld(h: ApiHarness): Promise<TenantWorld> {
  const marker = `mk${uniqueSuffix()}`;
  const tenant = await h.signUpTenant({ name: `Tenant ${marker}` });
  const admin = tenant.admin;
  const team = await h.ok<{ id: string }>(admin, 'POST', '/teams', { name: `Team ${marker}`, description: `Team of ${marker}` });
  const organisation = await h.ok<{ id: string }>(admin, 'POST', '/organisations', { name: `Org ${marker}`, notes: `Internal ${marker}` });
  const otherOrganisation = await h.ok<{ id: string }>(admin, 'POST', '/organisations', { name: `Other org ${marker}` });
  const category = await h.ok<{ id: string }>(admin, 'POST', '/categories', {
    name: `Category ${marker}`,
    description: `About ${marker}`,
    teamId: team.id,
  });
  const macro = await h.ok<{ id: string }>(admin, 'POST', '/macros', { title: `Macro ${marker}`, body: `Hello from ${marker}` });

  const [manager, agent, agent2, customer, colleague, outsider] = await Promise.all([
    h.createPerson(tenant, 'manager', { name: `Manager ${marker}` }),
    h.createPerson(tenant, 'agent', { name: `Agent ${marker}`, teamIds: [team.id] }),
    h.createPerson(tenant, 'agent', { name: `Agent two ${marker}` }),
    h.createPerson(tenant, 'customer', { name: `Customer ${marker}`, organisationId: organisation.id }),
    h.createPerson(tenant, 'customer', { name: `Colleague ${marker}`, organisationId: organisation.id }),
    h.createPerson(tenant, 'customer', { name: `Outsider ${marker}` }),
  ]);
  const personalMacro = await h.ok<{ id: string }>(agent!, 'POST', '/macros', { title: `Personal ${marker}`, visibility: 'personal' });

  const open = (who: Person, label: string) =>
    h.ok<{ ticket: { id: string } }>(who, 'POST', '/tickets', {
      subject: `${label} ${marker}`,
      body: `Help ${label} ${marker}`,
      format: 'text',
    });
  const [mine, theirs, outside] = await Promise.all([open(customer!, 'Own'), open(colleague!, 'Colleague'), open(outsider!, 'Outsider')]);
  const ticketId = mine.ticket.id;
  const reply = await h.ok<{ id: string }>(agent!, 'POST', `/tickets/${ticketId}/entries`, {
    kind: 'reply',
    body: `Reply ${marker}`,
    format: 'text',
  });
  const noteText = `Internal note ${marker}`;
  const note = await h.ok<{ id: string }>(agent!, 'POST', `/tickets/${ticketId}/entries`, { kind: 'note', body: noteText, format: 'text' });
  const timeEntry = await h.ok<{ id: string }>(agent!, 'POST', `/tickets/${ticketId}/time-entries`, {
    minutes: 15,
    note: `Work ${marker}`,
  });
  const token = await h.ok<{ id: string; token: string }>(admin, 'POST', '/me/tokens', { name: `Token ${marker}` });
  expect(token.token).toMatch(/^sbp_/);
  const webhook = await h.ok<{ id: string }>(admin, 'POST', '/webhooks', {
    url: `https://hooks.example.test/${marker}`,
    events: ['ticket.created'],
  });
  const schedule = await h.ok<{ id: string }>(admin, 'POST', '/recurring-schedules', {
    name: `Schedule ${marker}`,
    organisationId: organisation.id,
    requesterId: customer!.id,
    kind: 'rrule',
    rule: 'FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0',
    template: { subject: `Maintenance ${marker}`, body: `Check ${marker}` },
  });
  const upload = multipartBody([
    { filename: `Attachment ${marker}.json`, content: Buffer.from(JSON.stringify({ note: `File of ${marker}` })) },
  ]);
  const uploaded = await h.request(customer!.auth, { method: 'POST', url: `/tickets/${ticketId}/attachments`, ...upload });
  expect(uploaded.statusCode, uploaded.body).toBe(201);
  const attachmentId = (uploaded.json() as { attachments: Array<{ id: string }> }).attachments[0]!.id;
  const { widgetKey } = await h.ok<{ widgetKey: string }>(admin, 'GET', '/tenant');
  const { widgetSecret } = (await h.domain.models.Tenant.findOne({ _id: new Types.ObjectId(tenant.id) }, { widgetSecret: 1 }).lean())!;
  const { token: widgetToken } = await h.ok<{ token: string }>({ ip: randomIp() }, 'POST', '/widget/session', {
    widgetKey,
    identity: { email: customer!.email, hmac: identityHmac(widgetSecret, customer!.email) },
  });
  const slaCalendar = await h.ok<{ id: string }>(admin, 'POST', '/sla/calendars', {
    name: `Calendar ${marker}`,
    timeZone: 'UTC',
    hours: '24/7',
  });
  const slaPolicy = await h.ok<{ id: string }>(admin, 'POST', '/sla/policies', {
    name: `Policy ${marker}`,
    order: 100,
    calendarId: slaCalendar.id,
    targetMinutes: { resolution: 2880 },
  });
  const board = await h.ok<{ board: { id: string } }>(admin, 'POST', '/boards', { name: `Board ${marker}`, teamIds: [team.id] });

  const kbCategory = await h.ok<{ id: string }>(admin, 'POST', '/kb/sections', {
    name: `Guides ${marker}`,
    description: `Guides of ${marker}`,
  });
  const section = await h.ok<{ id: string }>(admin, 'POST', '/kb/sections', { name: `Billing ${marker}`, parentId: kbCategory.id });
  const article = (title: string, visibility: 'public' | 'internal') =>
    h.ok<{ id: string }>(agent!, 'POST', '/kb/articles', {
      title: `${title} ${marker}`,
      body: `<p>How to reset the router of ${marker}</p>`,
      sectionId: section.id,
      visibility,
      tags: ['howto'],
    });
  const [publicArticle, internalArticle, draftArticle] = await Promise.all([
    article('Public article', 'public'),
    article('Internal article', 'internal'),
    article('Draft article', 'public'),
  ]);
  await h.ok(admin, 'POST', `/kb/articles/${publicArticle.id}/publish`, {});
  await h.ok(admin, 'POST', `/kb/articles/${internalArticle.id}/publish`, {});
  const kbUpload = multipartBody([
    { filename: `Guide ${marker}.json`, content: Buffer.from(JSON.stringify({ guide: `Guide of ${marker}` })) },
  ]);
  const kbFiles = await h.request(agent!.auth, { method: 'POST', url: `/kb/articles/${publicArticle.id}/files`, ...kbUpload });
  expect(kbFiles.statusCode, kbFiles.body).toBe(201);
  const kbFileId = (kbFiles.json() as { files: Array<{ id: string }> }).files[0]!.id;
  await h.index(tenant.id);

  return {
    ...tenant,
    marker,
    widgetKey,
    widgetToken,
    manager: manager!,
    agent: agent!,
    agent2: agent2!,
    customer: customer!,
    colleague: colleague!,
    outsider: outsider!,
    organisationId: organisation.id,
    otherOrganisationId: otherOrganisation.id,
    teamId: team.id,
    categoryId: category.id,
    macroId: macro.id,
    personalMacroId: personalMacro.id,
    tickets: { customer: ticketId, colleague: theirs.ticket.id, outsider: outside.ticket.id },
    replyId: reply.id,
    noteId: note.id,
    noteText,
    timeEntryId: timeEntry.id,
    tokenId: token.id,
    token: token.token,
    ids: {
      ticketId,
      entryId: reply.id,
      noteId: note.id,
      timeEntryId: timeEntry.id,
      userId: admin.id,
      agentId: agent!.id,
      customerId: customer!.id,
      organisationId: organisation.id,
      teamId: team.id,
      categoryId: category.id,
      macroId: macro.id,
      tokenId: token.id,
      webhookId: webhook.id,
      scheduleId: schedule.id,
      attachmentId,
      slaCalendarId: slaCalendar.id,
      slaPolicyId: slaPolicy.id,
      boardId: board.board.id,
      kbCategoryId: kbCategory.id,
      sectionId: section.id,
      articleId: publicArticle.id,
      internalArticleId: internalArticle.id,
      draftArticleId: draftArticle.id,
      kbFileId,
    },
  };
}

/** Every id of a tenant, its own id and its marker: none may appear in another tenant's answers. */
export function fingerprints(world: TenantWorld): string[] {
  const people = [world.admin, world.manager, world.agent, world.agent2, world.customer, world.colleague, world.outsider];
  return [
    world.marker,
    world.id,
    world.slug,
    ...Object.values(world.ids),
    ...Object.values(world.tickets),
    world.otherOrganisationId,
    world.personalMacroId,
    ...people.flatMap((p) => [p.id, p.email]),
  ];
}
