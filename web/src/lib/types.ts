/** DTO types of the REST API and the socket contract (type-only: nothing server-side is bundled). */
export type { TicketDto } from '@switchboard/api/tickets/ticket.schema';
export type { EntryDto } from '@switchboard/api/conversation/conversation.schema';
export type { UserDto } from '@switchboard/api/users/user.schema';
export type { TeamDto } from '@switchboard/api/teams/team.schema';
export type { CategoryDto } from '@switchboard/api/categories/category.schema';
export type { MacroDto } from '@switchboard/api/macros/macro.schema';
export type { OrganisationDto } from '@switchboard/api/organisations/organisation.schema';
export type { TimeEntryDto } from '@switchboard/api/time-entries/time-entry.schema';
export type { TenantDto } from '@switchboard/api/tenants/tenant.schema';
export type { DomainEvent } from '@switchboard/api/events/event-types';
export type { TicketStatus, TicketPriority } from '@switchboard/api/tickets/ticket-status';
export type {
  PresenceUser,
  Ack,
  ClientAckData,
  ClientToServerEvents,
  ReadMarks,
  ServerToClientEvents,
} from '@switchboard/realtime/protocol';
export type { BoardData, BoardFigures, BoardDto } from '@switchboard/api/boards/board.schema';
export type { SlaCalendarDto, SlaPolicyDto, SlaReportDto } from '@switchboard/api/sla/sla-config.schema';
