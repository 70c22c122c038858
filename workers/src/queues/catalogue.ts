import { dispatchSweepJob } from '../dispatch.jobs.ts';
import { mailInboundJob, mailSendJob } from '../mail/mail.jobs.ts';
import { csatSurveyJob, notifyEventJob, notifyFlushJob } from '../notifications/notify.jobs.ts';
import { recurringOpenJob, recurringSweepJob } from '../recurring/recurring.jobs.ts';
import { indexJob } from '../search/index.jobs.ts';
import { slaRefreshJob, slaReplanJob, slaSweepJob, slaTimerJob } from '../sla/sla.jobs.ts';
import { classifyJob, routeJob, routeSweepJob, triageFeedbackJob } from '../triage/triage.jobs.ts';
import { webhookDeliverJob, webhookDispatchJob } from '../webhooks/webhook.jobs.ts';
import type { JobDefinition } from './definition.ts';

/**
 * Every job type of the deployment in one list: what the queue dashboard shows and the
 * dead-letter view reads, even for queues this process has not touched yet.
 */
export const JOB_CATALOGUE: readonly JobDefinition[] = [
  classifyJob,
  routeJob,
  routeSweepJob,
  triageFeedbackJob,
  slaRefreshJob,
  slaTimerJob,
  slaReplanJob,
  slaSweepJob,
  mailSendJob,
  mailInboundJob,
  notifyEventJob,
  notifyFlushJob,
  csatSurveyJob,
  webhookDispatchJob,
  webhookDeliverJob,
  recurringSweepJob,
  recurringOpenJob,
  indexJob,
  dispatchSweepJob,
];
