import type { Connection } from 'mongoose';
import { attachmentModel } from '../attachments/attachment.model.ts';
import { auditModel } from '../audit/audit.model.ts';
import { authModels } from '../auth/auth.model.ts';
import { boardModel } from '../boards/board.model.ts';
import { categoryModel } from '../categories/category.model.ts';
import { entryModel } from '../conversation/entry.model.ts';
import { csatModel } from '../csat/csat.model.ts';
import { eventModel, undispatchedModel } from '../events/event.model.ts';
import { kbModels } from '../kb/kb.model.ts';
import { macroModel } from '../macros/macro.model.ts';
import { mailModels } from '../mail/mail.model.ts';
import { notificationModels } from '../notifications/notification.model.ts';
import { organisationModel } from '../organisations/organisation.model.ts';
import { recurringModels } from '../recurring/recurring.model.ts';
import { slaModels } from '../sla/sla.model.ts';
import { teamModel } from '../teams/team.model.ts';
import { tenantModel } from '../tenants/tenant.model.ts';
import { ticketModel } from '../tickets/ticket.model.ts';
import { timeEntryModel } from '../time-entries/time-entry.model.ts';
import { triageModels } from '../triage/triage.model.ts';
import { userModel } from '../users/user.model.ts';
import { webhookModels } from '../webhooks/webhook.model.ts';
import { widgetModels } from '../widget/widget.model.ts';
import { counterModel } from './counter.model.ts';
import { leaseModel } from './lease.model.ts';

/** Every model, registered on one connection. The only way services reach MongoDB. */
export function createModels(connection: Connection) {
  return {
    Tenant: tenantModel(connection),
    User: userModel(connection),
    Team: teamModel(connection),
    Organisation: organisationModel(connection),
    Category: categoryModel(connection),
    Ticket: ticketModel(connection),
    Entry: entryModel(connection),
    TimeEntry: timeEntryModel(connection),
    Macro: macroModel(connection),
    Event: eventModel(connection),
    UndispatchedBatch: undispatchedModel(connection),
    Counter: counterModel(connection),
    Lease: leaseModel(connection),
    Audit: auditModel(connection),
    Board: boardModel(connection),
    ...authModels(connection),
    ...triageModels(connection),
    ...slaModels(connection),
    ...widgetModels(connection),
    Attachment: attachmentModel(connection),
    CsatSurvey: csatModel(connection),
    ...mailModels(connection),
    ...notificationModels(connection),
    ...webhookModels(connection),
    ...recurringModels(connection),
    ...kbModels(connection),
  };
}

/** The model set. */
export type Models = ReturnType<typeof createModels>;

/** Builds every index (idempotent); run at start so unique constraints hold from the first write. */
export async function syncIndexes(models: Models): Promise<void> {
  await Promise.all(Object.values(models).map((model) => model.init()));
}
