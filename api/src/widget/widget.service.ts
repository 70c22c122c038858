import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Types } from 'mongoose';
import type { AttachmentService, UploadPart } from '../attachments/attachment.service.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { EntryDto } from '../conversation/conversation.schema.ts';
import type { ConversationService } from '../conversation/conversation.service.ts';
import type { Entry } from '../conversation/entry.model.ts';
import type { DomainEvent } from '../events/event-types.ts';
import { toEntryDto } from '../conversation/entry.mapper.ts';
import { actorUserId, systemCtx, type Ctx } from '../context.ts';
import type { Leases } from '../db/lease.model.ts';
import type { Models } from '../db/models.ts';
import { AppError } from '../lib/errors.ts';
import { oid } from '../lib/ids.ts';
import { WIDGET_APPEARANCE_DEFAULTS, type Tenant } from '../tenants/tenant.model.ts';
import { assertCanConfigureTenant } from '../tenants/tenant.policy.ts';
import type { Ticket } from '../tickets/ticket.model.ts';
import type { TicketService } from '../tickets/ticket.service.ts';
import type { User } from '../users/user.model.ts';
import type { UserService } from '../users/user.service.ts';
import { isWithinBusinessHours, nextOpening } from './business-hours.ts';
import type { WidgetConfig, WidgetMessage, WidgetSession, WidgetSessionRequest } from './widget.schema.ts';
import { imagesOnly } from './widget-uploads.ts';
import { newTokenKey, newVisitorId, peekTenantId, signWidgetToken, verifyIdentityHmac, verifyWidgetToken } from './widget-token.ts';

/** Anonymous visitors' placeholder addresses end with this (RFC 2606: nobody receives mail there). */
export const VISITOR_EMAIL_DOMAIN = '@visitors.invalid';

/** How long a widget session token lets a socket (re)connect before the widget mints a new one. */
export const WIDGET_SESSION_TTL_MS = 2 * 60 * 60 * 1000;

/** A knowledge-base article offered to a visitor before they write (ticket deflection). */
export interface ArticleSuggestion {
  id: string;
  title: string;
  /** Plain text around the match. */
  snippet: string;
  /** Where the article can be read (the portal's knowledge base). */
  url: string;
}

/**
 * The knowledge base as the widget needs it: published, public articles of one tenant
 * matching what a visitor types. Implemented by the knowledge-base module over the search
 * engine and passed to the domain; absent, suggestions answer `unavailable`.
 */
export interface ArticleSuggester {
  suggest(tenantId: string, query: string, limit: number): Promise<ArticleSuggestion[]>;
  /** Whether an article id is a published, public article of the tenant. */
  exists(tenantId: string, articleId: string): Promise<boolean>;
}

/** Who a widget socket is, as established by {@link WidgetService.authenticate}. */
export interface WidgetPrincipal {
  tenantId: Types.ObjectId;
  visitorId: string;
  /** The tenant's site vouched for this customer (identity HMAC). */
  verified: boolean;
  /** The customer behind the visitor; null until an anonymous visitor's first message. */
  user: User | null;
  /** The visitor's context: the customer's, or (no user yet) one that owns and sees nothing. */
  ctx: Ctx;
}

/** The author of a chat message: a widget visitor, or a signed-in portal customer (`visitorId` null). */
export interface ChatSender {
  tenantId: Types.ObjectId;
  visitorId: string | null;
  verified: boolean;
  userId: Types.ObjectId | null;
}

/** Result of {@link WidgetService.send}. */
export interface SentMessage {
  ticketId: string;
  entry: EntryDto;
  /** A retry of a message already stored (same client key): nothing new was written. */
  duplicate: boolean;
  /** The message opened a new ticket. */
  ticketCreated: boolean;
  /** The log position of the message's `entry.added` event (null for a duplicate): clients order lines by it. */
  seq: number | null;
  /** The customer the message is from (new for an anonymous visitor's first message). */
  user: User;
}

/** The Ctx of a customer. */
export function customerCtx(user: User): Ctx {
  return {
    tenantId: user.tenantId,
    actor: { kind: 'user', userId: user._id, role: 'customer', name: user.name, organisationId: user.organisationId ?? null },
  };
}

/**
 * The context of an anonymous visitor before their first message: a customer actor whose id
 * was never stored, so every visibility filter matches nothing.
 */
function ownsNothingCtx(tenantId: Types.ObjectId, name: string): Ctx {
  return { tenantId, actor: { kind: 'user', userId: new Types.ObjectId(), role: 'customer', name, organisationId: null } };
}

/** A ticket subject from a first chat message: its first line, shortened at a word. */
function subjectFrom(body: string): string {
  const line =
    body
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? body.trim();
  if (line.length <= 80) return line;
  const cut = line.slice(0, 80);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 40 ? cut.lastIndexOf(' ') : 80)}…`;
}

/**
 * The embeddable chat widget's server side: sessions for visitors (anonymous with a signed
 * visitor id, or verified by the tenant's site with an identity HMAC), the origin check,
 * chat messages that become tickets and entries (idempotent by client key, serialised per
 * visitor), offline contact addresses, knowledge-base suggestions and their feedback, and
 * the tenant's widget secret.
 */
export class WidgetService {
  constructor(
    private readonly models: Models,
    private readonly users: UserService,
    private readonly tickets: TicketService,
    private readonly conversation: ConversationService,
    private readonly leases: Leases,
    private readonly audit: AuditService,
    private readonly articles: ArticleSuggester | null,
    private readonly attachments: AttachmentService,
  ) {}

  /** Tenant by public key; `not_found` for a wrong or missing key. */
  private async tenantByKey(widgetKey: string): Promise<Tenant> {
    const tenant = await this.models.Tenant.findOne({ widgetKey }).lean<Tenant>();
    if (!tenant)
      throw new AppError('not_found', 'Unknown widget key: check the data-key attribute of the embed snippet.', {
        reason: 'unknown_widget_key',
      });
    return tenant;
  }

  /** Refuses a page origin the tenant did not list (an empty list allows every site). */
  private assertOrigin(tenant: Tenant, origin: string | null): void {
    const allowed = tenant.settings.widgetAllowedOrigins ?? [];
    if (allowed.length === 0) return;
    if (!origin || !allowed.includes(origin)) {
      throw new AppError('forbidden', `This website (${origin ?? 'unknown origin'}) is not allowed to use ${tenant.name}'s chat.`, {
        reason: 'origin_not_allowed',
      });
    }
  }

  /** The tenant's token key, created on first use for tenants older than the widget. */
  private async tokenKey(tenant: Tenant): Promise<string> {
    if (tenant.widgetTokenKey) return tenant.widgetTokenKey;
    await this.models.Tenant.updateOne(
      { _id: tenant._id, widgetTokenKey: { $exists: false } },
      { $set: { widgetTokenKey: newTokenKey() } },
    );
    const fresh = await this.models.Tenant.findOne({ _id: tenant._id }, { widgetTokenKey: 1 }).lean<Pick<Tenant, 'widgetTokenKey'>>();
    if (!fresh?.widgetTokenKey) throw new AppError('internal', 'Could not create the widget token key.');
    return fresh.widgetTokenKey;
  }

  /** What the widget shows and how it decides on offline mode. */
  config(tenant: Tenant, now = new Date()): WidgetConfig {
    const next = nextOpening(tenant.businessHours, tenant.timezone, now);
    return {
      tenantName: tenant.name,
      greeting: tenant.settings.widgetGreeting ?? WIDGET_APPEARANCE_DEFAULTS.widgetGreeting,
      primaryColor: tenant.settings.widgetPrimaryColor ?? WIDGET_APPEARANCE_DEFAULTS.widgetPrimaryColor,
      textColor: tenant.settings.widgetTextColor ?? WIDGET_APPEARANCE_DEFAULTS.widgetTextColor,
      timezone: tenant.timezone,
      businessHours: tenant.businessHours,
      open: isWithinBusinessHours(tenant.businessHours, tenant.timezone, now),
      nextOpenAt: next ? next.toISOString() : null,
      requireVerifiedIdentity: tenant.settings.widgetRequireVerifiedIdentity,
    };
  }

  /**
   * Starts (or resumes) a visitor's session. The visitor id comes from a valid visitor
   * token of this tenant or is new; an identity is trusted only when its HMAC matches the
   * tenant's widget secret. Anonymous sessions write nothing; a verified identity finds or
   * creates that customer.
   */
  async startSession(input: WidgetSessionRequest, origin: string | null): Promise<WidgetSession> {
    const tenant = await this.tenantByKey(input.widgetKey);
    this.assertOrigin(tenant, origin);
    const key = await this.tokenKey(tenant);
    const tenantId = tenant._id.toHexString();
    const previous = input.visitorToken ? verifyWidgetToken(key, input.visitorToken, 'visitor') : null;
    const visitorId = previous && previous.tenantId === tenantId ? previous.visitorId : newVisitorId();

    let verified: User | null = null;
    if (input.identity) {
      if (!verifyIdentityHmac(tenant.widgetSecret, input.identity.email, input.identity.hmac)) {
        throw new AppError('forbidden', 'The signed-in user’s identity could not be verified (the signature does not match).', {
          reason: 'identity_invalid',
        });
      }
      verified = await this.users.findOrCreateCustomer(systemCtx(tenant._id, 'widget'), input.identity.email, input.identity.name);
      if (verified.role !== 'customer')
        throw new AppError('forbidden', 'Staff accounts cannot chat through the widget.', { reason: 'identity_is_staff' });
      if (!verified.active) throw new AppError('forbidden', 'This account is deactivated.', { reason: 'identity_inactive' });
    }
    const visitor = verified ? null : await this.models.WidgetVisitor.findOne({ tenantId: tenant._id, visitorId }).lean();
    const expiresAt = Date.now() + WIDGET_SESSION_TTL_MS;
    return {
      token: signWidgetToken(key, {
        kind: 'session',
        tenantId,
        visitorId,
        verifiedUserId: verified ? verified._id.toHexString() : null,
        origin,
        expiresAt,
      }),
      expiresAt: new Date(expiresAt).toISOString(),
      visitorToken:
        previous && previous.tenantId === tenantId
          ? input.visitorToken!
          : signWidgetToken(key, { kind: 'visitor', tenantId, visitorId, issuedAt: Date.now() }),
      visitor: verified
        ? { id: visitorId, verified: true, name: verified.name, email: verified.email }
        : { id: visitorId, verified: false, name: null, email: visitor?.contactEmail ?? null },
      config: this.config(tenant),
    };
  }

  /**
   * Resolves a socket handshake's widget token: signature, expiry, the origin it was issued
   * to, and the tenant's current origin list (settings may have changed since).
   */
  async authenticate(token: string, origin: string | null, options: { anyOrigin?: boolean } = {}): Promise<WidgetPrincipal> {
    const expired = new AppError('unauthenticated', 'The chat session expired or is invalid; start a new one.', {
      reason: 'widget_token_invalid',
    });
    const tenantHex = peekTenantId(token);
    if (!tenantHex || !Types.ObjectId.isValid(tenantHex)) throw expired;
    const tenant = await this.models.Tenant.findOne({ _id: new Types.ObjectId(tenantHex) }).lean<Tenant>();
    if (!tenant?.widgetTokenKey) throw expired;
    const claims = verifyWidgetToken(tenant.widgetTokenKey, token, 'session');
    if (!claims) throw expired;
    // Image requests (<img src>) carry no Origin: for downloads the token itself is the capability.
    if (!options.anyOrigin) {
      if (claims.origin !== null && claims.origin !== origin) {
        throw new AppError('forbidden', 'This chat session belongs to another website.', { reason: 'origin_not_allowed' });
      }
      this.assertOrigin(tenant, origin);
    }
    let user: User | null = null;
    if (claims.verifiedUserId) {
      user = await this.models.User.findOne({ tenantId: tenant._id, _id: oid(claims.verifiedUserId) }).lean<User>();
      if (!user || !user.active || user.role !== 'customer') throw expired;
    } else {
      const visitor = await this.models.WidgetVisitor.findOne({ tenantId: tenant._id, visitorId: claims.visitorId }).lean();
      if (visitor?.userId) user = await this.models.User.findOne({ tenantId: tenant._id, _id: visitor.userId }).lean<User>();
      if (user && !user.active) throw expired;
    }
    return {
      tenantId: tenant._id,
      visitorId: claims.visitorId,
      verified: claims.verifiedUserId !== null,
      user,
      ctx: user ? customerCtx(user) : ownsNothingCtx(tenant._id, `Visitor ${claims.visitorId.slice(0, 4).toUpperCase()}`),
    };
  }

  /** The customer behind an anonymous visitor, created on their first message. */
  private async visitorUser(tenantId: Types.ObjectId, visitorId: string): Promise<User> {
    const visitor = await this.models.WidgetVisitor.findOne({ tenantId, visitorId }).lean();
    if (visitor?.userId) {
      const user = await this.models.User.findOne({ tenantId, _id: visitor.userId }).lean<User>();
      if (user) return user;
    }
    const userId = new Types.ObjectId();
    const [created] = await this.models.User.create([
      {
        _id: userId,
        tenantId,
        // A placeholder address in the reserved .invalid domain: nobody can receive mail there,
        // so no later sign-up or identity can ever claim this person.
        email: `visitor-${userId.toHexString()}${VISITOR_EMAIL_DOMAIN}`,
        name: `Visitor ${visitorId.slice(0, 4).toUpperCase()}`,
        role: 'customer',
      },
    ]);
    await this.models.WidgetVisitor.updateOne(
      { tenantId, visitorId },
      { $set: { userId, lastSeenAt: new Date() }, $setOnInsert: { contactEmail: null } },
      { upsert: true },
    );
    return created!.toObject<User>();
  }

  /** A message this customer already sent with `clientKey` (in any of their tickets). */
  private async findSent(ctx: Ctx, userId: Types.ObjectId, clientKey: string): Promise<Entry | null> {
    const tickets = await this.models.Ticket.find({ tenantId: ctx.tenantId, requesterId: userId }, { _id: 1 })
      .sort({ createdAt: -1 })
      .limit(500)
      .lean<Array<Pick<Ticket, '_id'>>>();
    if (tickets.length === 0) return null;
    return this.models.Entry.findOne({ tenantId: ctx.tenantId, ticketId: { $in: tickets.map((t) => t._id) }, clientKey }).lean<Entry>();
  }

  /**
   * A chat message: the first one opens a ticket (channel `widget`), later ones continue it;
   * a closed conversation continues in a new ticket. Idempotent by `clientKey` across
   * retries, reconnects and tabs; one visitor's messages are stored one at a time, in the
   * order they arrive. Refused before anything is written when the tenant requires a
   * verified identity and the visitor has none.
   */
  async send(sender: ChatSender, input: WidgetMessage): Promise<SentMessage> {
    const fromWidget = sender.visitorId !== null;
    if (fromWidget) await this.assertMayWrite(sender.tenantId, sender.verified);
    const lockKey = `chat:${sender.visitorId ?? sender.userId?.toHexString() ?? 'nobody'}`;
    return this.leases.run(sender.tenantId, lockKey, async () => {
      let user: User;
      if (sender.userId) user = await this.users.require(systemCtx(sender.tenantId), sender.userId);
      else if (sender.visitorId) user = await this.visitorUser(sender.tenantId, sender.visitorId);
      else throw new AppError('unauthenticated', 'Sign in to chat.');
      const ctx = customerCtx(user);
      const channel = fromWidget ? 'widget' : 'portal';

      const already = await this.findSent(ctx, user._id, input.clientKey);
      if (already)
        return {
          ticketId: already.ticketId.toHexString(),
          entry: toEntryDto(already),
          duplicate: true,
          ticketCreated: false,
          seq: null,
          user,
        };

      const current = input.ticketId ? await this.tickets.requireVisible(ctx, oid(input.ticketId)) : null;
      let result: { ticketId: string; entry: EntryDto; ticketCreated: boolean; events: DomainEvent[] };
      if (current && current.status !== 'closed') {
        const { entry, events } = await this.conversation.add(
          ctx,
          current._id,
          { kind: 'message', body: input.body, format: 'text', clientKey: input.clientKey },
          { channel },
        );
        result = { ticketId: current._id.toHexString(), entry, ticketCreated: false, events };
      } else {
        const created = await this.tickets.create(
          ctx,
          { subject: subjectFrom(input.body), body: input.body, format: 'text', clientKey: input.clientKey },
          channel,
        );
        result = { ticketId: created.ticket.id, entry: created.entry, ticketCreated: true, events: created.events };
      }
      if (fromWidget && !sender.verified && input.email)
        await this.rememberContact(sender.tenantId, sender.visitorId!, input.email, result.ticketId);
      const added = result.events.find(
        (e) => e.type === 'entry.added' && (e.data.entry as { id?: string } | undefined)?.id === result.entry.id,
      );
      return {
        ticketId: result.ticketId,
        entry: result.entry,
        ticketCreated: result.ticketCreated,
        duplicate: false,
        seq: added?.seq ?? null,
        user,
      };
    });
  }

  /**
   * Where mail for a customer goes: their own address; for an anonymous chat visitor (whose
   * placeholder address in `.invalid` receives nothing), the address they left for an answer
   * while nobody was online, if any; else nowhere (null). Agents' replies then reach a
   * visitor who closed the page, as in any chat tool; the address stays an unverified claim
   * and never becomes the visitor's identity.
   */
  async mailAddressOf(tenantId: Types.ObjectId, user: Pick<User, '_id' | 'email'>): Promise<string | null> {
    if (!user.email.endsWith(VISITOR_EMAIL_DOMAIN)) return user.email;
    const visitor = await this.models.WidgetVisitor.findOne({ tenantId, userId: user._id }, { contactEmail: 1 })
      .sort({ lastSeenAt: -1 })
      .lean<{ contactEmail: string | null }>();
    return visitor?.contactEmail ?? null;
  }

  /**
   * Keeps the address an anonymous visitor left for an answer while nobody was online. It
   * stays a claim: agents see it in an internal note, marked unverified; it never becomes
   * the visitor's identity (that would hand them the history of whoever owns the address).
   */
  private async rememberContact(tenantId: Types.ObjectId, visitorId: string, email: string, ticketId: string): Promise<void> {
    const address = email.trim().toLowerCase();
    const before = await this.models.WidgetVisitor.findOneAndUpdate(
      { tenantId, visitorId },
      { $set: { contactEmail: address, lastSeenAt: new Date() } },
      { returnDocument: 'before' },
    ).lean();
    if (before?.contactEmail === address) return;
    await this.conversation.add(systemCtx(tenantId, 'Chat widget'), oid(ticketId), {
      kind: 'note',
      body: `The visitor wrote while nobody was online and asked to be answered at ${address} (typed by the visitor, not verified).`,
      format: 'text',
    });
  }

  /** Refuses a visitor whose tenant answers verified identities only (nothing is stored). */
  private async assertMayWrite(tenantId: Types.ObjectId, verified: boolean): Promise<void> {
    const tenant = await this.models.Tenant.findOne({ _id: tenantId }, { name: 1, settings: 1 }).lean<Pick<Tenant, 'name' | 'settings'>>();
    if (!tenant) throw new AppError('not_found', 'No such tenant.');
    if (tenant.settings.widgetRequireVerifiedIdentity && !verified) {
      throw new AppError('forbidden', `${tenant.name} answers chat messages from signed-in customers only: sign in on the website first.`, {
        reason: 'identity_required',
      });
    }
  }

  /**
   * Images a visitor sends into their conversation (photos, screenshots): only images, each
   * at most 10 MB, re-encoded and thumbnailed by the attachment store; anything else is
   * refused before it is stored. The visitor must have a conversation already.
   */
  async uploadImages(
    principal: WidgetPrincipal,
    ticketId: Types.ObjectId,
    parts: AsyncIterable<UploadPart>,
  ): Promise<{ entry: EntryDto; duplicate: boolean }> {
    await this.assertMayWrite(principal.tenantId, principal.verified);
    if (!principal.user) throw new AppError('not_found', 'No such ticket.');
    return this.attachments.uploadEntry(principal.ctx, ticketId, imagesOnly(parts));
  }

  /**
   * Opens an attachment of the visitor's conversation (or its thumbnail) for the widget.
   * The entry's event can reach the widget just before the attachment store has filed the
   * image under that entry; an image of this tenant uploaded in the last 30 seconds is
   * retried for up to a second instead of answering "not found" to one about to exist.
   */
  async openAttachment(principal: WidgetPrincipal, id: Types.ObjectId, variant: 'original' | 'thumbnail') {
    if (!principal.user) throw new AppError('not_found', 'No such attachment.');
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attachments.open(principal.ctx, id, variant);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'not_found' || attempt >= 10) throw error;
        // Filing can complete between that read and this one: any fresh upload of this tenant gets the retries.
        const attachment = await this.models.Attachment.findOne({ tenantId: principal.tenantId, _id: id }, { createdAt: 1 }).lean();
        if (!attachment || attachment.createdAt.getTime() < Date.now() - 30_000) throw error;
        await sleep(100);
      }
    }
  }

  /** Knowledge-base articles for what a visitor is typing; `unavailable` without a knowledge base. */
  async suggest(tenantId: Types.ObjectId, query: string): Promise<ArticleSuggestion[]> {
    if (!this.articles) throw new AppError('unavailable', 'Knowledge-base suggestions are not available on this server.');
    return this.articles.suggest(tenantId.toHexString(), query, 5);
  }

  /** Records whether a suggested article answered the visitor's question (deflection statistics). */
  async recordFeedback(sender: ChatSender, input: { articleId: string; helped: boolean; query: string }): Promise<void> {
    if (!this.articles) throw new AppError('unavailable', 'The knowledge base is not available on this server.');
    if (!(await this.articles.exists(sender.tenantId.toHexString(), input.articleId))) {
      throw new AppError('validation_failed', 'Unknown article.', [{ path: '/articleId', message: 'not a published article' }]);
    }
    await this.models.KbFeedback.create({
      tenantId: sender.tenantId,
      articleId: input.articleId,
      visitorId: sender.visitorId,
      userId: sender.userId,
      query: input.query,
      helped: input.helped,
    });
  }

  /**
   * Replaces the tenant's widget secret (admins) and returns it this once: the tenant's
   * backend needs it to sign identities; browsers never get it. Identities signed with the
   * old secret are refused from now on. Audited.
   */
  async rotateSecret(ctx: Ctx): Promise<{ widgetSecret: string; rotatedAt: Date }> {
    assertCanConfigureTenant(ctx.actor);
    const widgetSecret = randomBytes(32).toString('base64url');
    const result = await this.models.Tenant.updateOne({ _id: ctx.tenantId }, { $set: { widgetSecret } });
    if (result.matchedCount === 0) throw new AppError('not_found', 'No such tenant.');
    await this.audit.record(ctx.tenantId, 'tenant.widget_secret_rotated', { id: actorUserId(ctx.actor), name: ctx.actor.name });
    return { widgetSecret, rotatedAt: new Date() };
  }
}
