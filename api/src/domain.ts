import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { AttachmentService, DEFAULT_ATTACHMENT_LIMITS, type AttachmentLimits } from './attachments/attachment.service.ts';
import { GridFsBlobStore, type BlobStore } from './attachments/blob-store.ts';
import { AuditService } from './audit/audit.service.ts';
import { AuthService } from './auth/auth.service.ts';
import { BoardRows } from './boards/board-rows.ts';
import { BoardService } from './boards/board.service.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { createLucia, MongooseSessionAdapter } from './auth/lucia.ts';
import { CategoryService } from './categories/category.service.ts';
import { ConversationService } from './conversation/conversation.service.ts';
import { CsatService } from './csat/csat.service.ts';
import { Leases } from './db/lease.model.ts';
import { createModels, syncIndexes, type Models } from './db/models.ts';
import { EventLog } from './events/event-log.ts';
import type { EventPublisher } from './events/publisher.ts';
import type { Logger } from './lib/logger.ts';
import { KbArticleSuggester } from './kb/kb-suggester.ts';
import { KbService } from './kb/kb.service.ts';
import { MacroService } from './macros/macro.service.ts';
import { MailService } from './mail/mail.service.ts';
import { NotificationService } from './notifications/notification.service.ts';
import { OrganisationService } from './organisations/organisation.service.ts';
import { RecurringService } from './recurring/recurring.service.ts';
import { SearchIndexer } from './search/search-indexer.ts';
import type { SearchBackend } from './search/search.port.ts';
import { SearchService } from './search/search.service.ts';
import { SlaService } from './sla/sla.service.ts';
import { TeamService } from './teams/team.service.ts';
import { TenantService } from './tenants/tenant.service.ts';
import { TicketService } from './tickets/ticket.service.ts';
import { TimeEntryService } from './time-entries/time-entry.service.ts';
import { TriageService } from './triage/triage.service.ts';
import { UserService } from './users/user.service.ts';
import { WidgetService, type ArticleSuggester } from './widget/widget.service.ts';
import { PortalService } from './portal/portal.service.ts';
import type { User } from './users/user.model.ts';
import { WebhookService } from './webhooks/webhook.service.ts';

/**
 * Where account mails go (reset links). The workers' mailer implements it; until then
 * the default writes a log line without the secret.
 */
export interface AccountNotifier {
  passwordReset(user: User, resetUrl: string): Promise<void>;
}

/** What the domain needs from the process. */
export interface DomainOptions {
  connection: Connection;
  redis: Redis;
  publisher: EventPublisher;
  logger: Logger;
  signupOpen: boolean;
  publicUrl: string;
  notifier?: AccountNotifier;
  /** Knowledge-base suggestions for the chat widget (the knowledge-base module provides them). */
  articles?: ArticleSuggester;
  /**
   * The search engine, in processes that own one (see search/README.md). Without it,
   * search answers `unavailable` (503) and everything else works.
   */
  search?: SearchBackend;
  /** Event-log gap timeout (tests shorten it). */
  gapTimeoutMs?: number;
  /** Domain of support addresses and Message-IDs (MAIL_DOMAIN). */
  mailDomain?: string;
  /** Attachment limits (ATTACHMENT_MAX_BYTES, ATTACHMENT_MAX_PIXELS). */
  attachmentLimits?: Partial<AttachmentLimits>;
  /** Where attachment bytes and raw inbound mail live (default: GridFS on this connection). */
  blobStore?: BlobStore;
}

/** Every domain service, wired once per process. realtime/ and workers/ use these too. */
export interface Domain {
  models: Models;
  events: EventLog;
  publisher: EventPublisher;
  audit: AuditService;
  tenants: TenantService;
  users: UserService;
  auth: AuthService;
  boards: BoardService;
  teams: TeamService;
  organisations: OrganisationService;
  categories: CategoryService;
  tickets: TicketService;
  conversation: ConversationService;
  macros: MacroService;
  timeEntries: TimeEntryService;
  triage: TriageService;
  sla: SlaService;
  widget: WidgetService;
  portal: PortalService;
  attachments: AttachmentService;
  mail: MailService;
  notifications: NotificationService;
  webhooks: WebhookService;
  recurring: RecurringService;
  csat: CsatService;
  kb: KbService;
  search: SearchService;
  searchIndex: SearchIndexer;
  notifier: AccountNotifier;
  publicUrl: string;
}

/** Builds the domain on an open connection and makes sure every index exists. */
export async function createDomain(options: DomainOptions): Promise<Domain> {
  const models = createModels(options.connection);
  await syncIndexes(models);
  const events = new EventLog(models.Event, models.Counter, options.publisher, options.gapTimeoutMs);
  const audit = new AuditService(models);
  const tenants = new TenantService(models, audit, options.signupOpen);
  const users = new UserService(models, audit);
  const lucia = createLucia(new MongooseSessionAdapter(models.Session, models.User), options.publicUrl.startsWith('https://'));
  const auth = new AuthService(models, lucia, new LoginThrottle(options.redis), audit);
  const tickets = new TicketService(models, events, users, tenants, new Leases(models.Lease));
  const conversation = new ConversationService(models, events, tickets);
  const channelLeases = new Leases(models.Lease);
  const blobStore = options.blobStore ?? new GridFsBlobStore(options.connection);
  const attachments = new AttachmentService(models, blobStore, tickets, conversation, {
    ...DEFAULT_ATTACHMENT_LIMITS,
    ...options.attachmentLimits,
  });
  const logger = options.logger;
  const kb = new KbService(models, events, new Leases(models.Lease), attachments, blobStore);
  const searchIndex = new SearchIndexer(models, options.search ?? null);
  const search = new SearchService(searchIndex, kb);
  // The widget's suggestions come from the knowledge base's search unless the process brings its own.
  const articles = options.articles ?? new KbArticleSuggester(models, search, kb, options.publicUrl);
  // Boards read a Redis projection that every event-producing process keeps current.
  const boardRows = new BoardRows(options.redis, models, logger);
  options.publisher.subscribe(boardRows.listener());
  return {
    models,
    events,
    publisher: options.publisher,
    audit,
    tenants,
    users,
    auth,
    boards: new BoardService(models, boardRows),
    teams: new TeamService(models),
    organisations: new OrganisationService(models),
    categories: new CategoryService(models),
    tickets,
    conversation,
    macros: new MacroService(models),
    timeEntries: new TimeEntryService(models, events, tickets),
    triage: new TriageService(models, events, tickets),
    sla: new SlaService(models, events, tickets, conversation, logger),
    widget: new WidgetService(models, users, tickets, conversation, new Leases(models.Lease), audit, articles, attachments),
    portal: new PortalService(models, users, auth),
    attachments,
    mail: new MailService(models, blobStore, users, tickets, conversation, attachments, channelLeases, options.mailDomain ?? 'localhost'),
    notifications: new NotificationService(models),
    webhooks: new WebhookService(models),
    recurring: new RecurringService(models, tickets, channelLeases),
    csat: new CsatService(models, tickets),
    kb,
    search,
    searchIndex,
    notifier: options.notifier ?? {
      passwordReset: async (user) =>
        logger.info({ userId: user._id.toHexString() }, 'password reset requested; no mailer configured in this process'),
    },
    publicUrl: options.publicUrl,
  };
}
