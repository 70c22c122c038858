import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { AuditService } from './audit/audit.service.ts';
import { AuthService } from './auth/auth.service.ts';
import { BoardService } from './boards/board.service.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { createLucia, MongooseSessionAdapter } from './auth/lucia.ts';
import { CategoryService } from './categories/category.service.ts';
import { ConversationService } from './conversation/conversation.service.ts';
import { createModels, syncIndexes, type Models } from './db/models.ts';
import { EventLog } from './events/event-log.ts';
import type { EventPublisher } from './events/publisher.ts';
import type { Logger } from './lib/logger.ts';
import { MacroService } from './macros/macro.service.ts';
import { OrganisationService } from './organisations/organisation.service.ts';
import { TeamService } from './teams/team.service.ts';
import { TenantService } from './tenants/tenant.service.ts';
import { TicketService } from './tickets/ticket.service.ts';
import { TimeEntryService } from './time-entries/time-entry.service.ts';
import { UserService } from './users/user.service.ts';
import type { User } from './users/user.model.ts';

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
  /** Event-log gap timeout (tests shorten it). */
  gapTimeoutMs?: number;
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
  const tickets = new TicketService(models, events, users, tenants);
  const logger = options.logger;
  return {
    models,
    events,
    publisher: options.publisher,
    audit,
    tenants,
    users,
    auth,
    boards: new BoardService(models),
    teams: new TeamService(models),
    organisations: new OrganisationService(models),
    categories: new CategoryService(models),
    tickets,
    conversation: new ConversationService(models, events, tickets),
    macros: new MacroService(models),
    timeEntries: new TimeEntryService(models, events, tickets),
    notifier: options.notifier ?? {
      passwordReset: async (user) => logger.info({ userId: user._id.toHexString() }, 'password reset requested; no mailer configured in this process'),
    },
    publicUrl: options.publicUrl,
  };
}
