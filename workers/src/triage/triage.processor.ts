import { createHash } from 'node:crypto';
import {
  type AiEnv,
  categoryText,
  detectLanguage,
  findDuplicates,
  getEmbedder,
  ModelUnavailableError,
  prepareTicketText,
  priorityHint,
  TicketClassifier,
  type Embedder,
} from '@switchboard/ai';
import { drainQueues, type RoutingState } from '@switchboard/ai/routing.service';
import { systemCtx } from '@switchboard/api/context';
import type { Domain } from '@switchboard/api/domain';
import { oid } from '@switchboard/api/lib/ids';
import type { Logger } from '@switchboard/api/lib/logger';
import type { TriageResult } from '@switchboard/api/triage/triage.service';
import type { PresenceStore } from '@switchboard/realtime/presence';
import type { Redis } from 'ioredis';
import { withLock } from '../lock.ts';
import type { QueueRegistry } from '../queues/registry.ts';
import { classifyJob, routeJob, routeSweepJob, triageFeedbackJob } from './triage.jobs.ts';

/** What the triage processors need. */
export interface TriageDeps {
  domain: Domain;
  registry: QueueRegistry;
  redis: Redis;
  presence: PresenceStore;
  ai: AiEnv & { AI_MODELS_DIR: string };
  logger: Logger;
  /** How often the routing sweep runs. */
  sweepEveryMs?: number;
}

/** Tickets younger than this are left to their own classify job (see {@link sweepUnclassified}). */
export const CLASSIFY_GRACE_MS = 30_000;
/** Tickets older than this are no longer classified by the sweep. */
export const CLASSIFY_WINDOW_MS = 24 * 3_600_000;
/** Classify jobs one sweep queues at most (the next sweep takes the rest). */
export const CLASSIFY_SWEEP_LIMIT = 500;

/**
 * Queues classification again for open tickets that never got it: the `ticket.created`
 * listener enqueues it after the commit, and that enqueue is lost when the process ends
 * before Redis took it (while Redis is away it waits in the client's offline queue). The job
 * id is the listener's, so a job still waiting, running, kept as finished or dead is not
 * queued twice; the processor skips tickets already classified.
 */
export async function sweepUnclassified(
  deps: { domain: Domain; registry: QueueRegistry },
  { now = new Date(), graceMs = CLASSIFY_GRACE_MS, windowMs = CLASSIFY_WINDOW_MS, limit = CLASSIFY_SWEEP_LIMIT } = {},
): Promise<number> {
  const tickets = await deps.domain.triage.unclassifiedTickets(now, { graceMs, windowMs, limit });
  for (const { tenantId, ticketId } of tickets) {
    await deps.registry.enqueue(
      classifyJob,
      { tenantId: tenantId.toHexString(), ticketId: ticketId.toHexString() },
      { jobId: `classify:${ticketId.toHexString()}` },
    );
  }
  return tickets.length;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Enqueues a routing pass for a tenant; one per tenant per second is plenty. */
export function enqueueRoute(registry: QueueRegistry, tenantId: string): Promise<unknown> {
  return registry.enqueue(routeJob, { tenantId }, { jobId: `route:${tenantId}:${Math.floor(Date.now() / 1000)}` });
}

/**
 * Registers the classify, route, sweep and feedback processors. Every handler can run
 * twice without harm: classification is recorded once per ticket, assignments are made
 * only while a ticket is still unassigned, and labels are upserts.
 */
export async function startTriage(deps: TriageDeps): Promise<void> {
  const { domain, registry, logger } = deps;
  let modelWarned = false;

  const embedder = async (): Promise<Embedder | null> => {
    try {
      return await getEmbedder({
        modelsDir: deps.ai.AI_MODELS_DIR,
        modelId: deps.ai.AI_MODEL,
        allowRemote: deps.ai.AI_ALLOW_REMOTE_MODELS,
        threads: deps.ai.AI_THREADS,
        maxTokens: deps.ai.AI_MAX_TOKENS,
      });
    } catch (error) {
      if (!(error instanceof ModelUnavailableError)) throw error;
      // Tickets keep flowing, unclassified; say so loudly once, not per ticket.
      if (!modelWarned)
        logger.error({ err: error }, `triage model unavailable: tickets are routed without classification (${error.message})`);
      modelWarned = true;
      return null;
    }
  };

  registry.process(classifyJob, async ({ tenantId, ticketId }) => {
    const ctx = systemCtx(oid(tenantId), 'Triage');
    const found = await domain.triage.ticketForTriage(ctx, oid(ticketId));
    if (!found) return { skipped: 'ticket gone' };
    if (found.ticket.ai?.classifiedAt) {
      await enqueueRoute(registry, tenantId);
      return { skipped: 'already classified' };
    }
    const model = await embedder();
    if (!model) {
      await enqueueRoute(registry, tenantId);
      return { skipped: 'model unavailable' };
    }
    const prepared = prepareTicketText({ subject: found.subject, body: found.body });
    const categories = await domain.triage.categories(ctx);
    const tenant = await domain.tenants.require(ctx);
    let result: TriageResult = { categoryId: null, score: 0, decision: 'unknown', language: null, priorityHint: null, duplicateOfId: null };
    if (prepared.ok) {
      const modelId = deps.ai.AI_MODEL;
      const stored = await domain.triage.ticketVector(ctx, found.ticket._id, modelId);
      const vector = stored ? Float32Array.from(stored) : await model.embed(prepared.text);
      const language = detectLanguage(prepared.text);
      const urgency = priorityHint(prepared.text);
      const duplicates = findDuplicates(
        { requesterId: found.ticket.requesterId.toHexString(), vector, ticketId },
        await domain.triage.openVectorsOf(ctx, found.ticket.requesterId, modelId),
      );
      let classification: ReturnType<TicketClassifier['classify']> | null = null;
      if (categories.length > 0) {
        const cached = await domain.triage.categoryVectors(ctx, modelId);
        const embedded = [];
        for (const category of categories) {
          const text = categoryText({ id: category._id.toHexString(), name: category.name, description: category.description });
          const hash = sha256(text);
          let categoryVector = cached.get(`${category._id.toHexString()}:${hash}`);
          if (!categoryVector) {
            categoryVector = Array.from(await model.embed(text));
            await domain.triage.saveCategoryVector(ctx, category._id, modelId, hash, categoryVector);
          }
          embedded.push({ id: category._id.toHexString(), name: category.name, description: category.description, vector: categoryVector });
        }
        const classifier = new TicketClassifier(embedded, await domain.triage.labelledExamples(ctx, modelId), {
          applyThreshold: tenant.settings.aiConfidenceThreshold,
        });
        classification = classifier.classify(vector);
      }
      result = {
        categoryId: classification?.categoryId ?? null,
        score: classification?.confidence ?? 0,
        decision: classification?.decision ?? 'unknown',
        language: language.lang === 'und' ? null : language.lang,
        priorityHint: urgency.priority === 'normal' || urgency.priority === 'low' ? null : urgency.priority,
        duplicateOfId: duplicates[0]?.ticketId ?? null,
      };
      await domain.triage.saveTicketVector(
        ctx,
        found.ticket,
        modelId,
        Array.from(vector),
        result.categoryId ? oid(result.categoryId) : null,
      );
    }
    const events = await domain.triage.applyResult(ctx, found.ticket._id, result);
    await enqueueRoute(registry, tenantId);
    return { decision: result.decision, categoryId: result.categoryId, score: result.score, events: events.length };
  });

  registry.process(routeJob, async ({ tenantId }) => {
    const ctx = systemCtx(oid(tenantId), 'Routing');
    const assigned = await withLock(deps.redis, `sb:lock:route:${tenantId}`, async () => {
      const snapshot = await domain.triage.routingSnapshot(ctx);
      const online = new Set((await deps.presence.agents(tenantId)).filter((a) => a.status === 'online').map((a) => a.id));
      const routable = snapshot.teams.filter((t) => t.strategy !== 'manual');
      const state: RoutingState = {
        teams: Object.fromEntries(
          routable.map((team) => [
            team.id,
            {
              id: team.id,
              strategy: team.strategy === 'round-robin' ? 'round-robin' : 'least-loaded',
              memberIds: team.memberIds,
              lastAssignedId: team.lastAssignedId,
              queue: snapshot.waiting
                .filter((w) => w.teamId === team.id)
                .map((w) => ({ ticketId: w.ticketId, priority: w.priority, skills: w.skills, enqueuedAt: w.createdAt.getTime() })),
            },
          ]),
        ),
        agents: Object.fromEntries(
          snapshot.agents.map((a) => [
            a.id,
            { id: a.id, online: online.has(a.id) && a.available, skills: a.skills, capacity: a.capacity, load: a.load },
          ]),
        ),
      };
      const { assignments } = drainQueues(state);
      let done = 0;
      for (const assignment of assignments) {
        try {
          await domain.tickets.assign(ctx, oid(assignment.ticketId), { assigneeId: assignment.agentId }, { onlyIfUnassigned: true });
          await domain.triage.setLastAssigned(ctx, oid(assignment.teamId), oid(assignment.agentId));
          done++;
        } catch (error) {
          // Someone assigned or closed it by hand meanwhile: their decision stands.
          logger.debug({ err: error, ticketId: assignment.ticketId }, 'routing skipped a ticket');
        }
      }
      return done;
    });
    if (assigned === undefined) throw new Error(`routing for tenant ${tenantId} is busy; retrying`);
    return { assigned };
  });

  registry.process(routeSweepJob, async () => {
    const unclassified = await sweepUnclassified(deps);
    const tenants = await domain.triage.tenantsWithWaitingTickets();
    for (const tenantId of tenants) await enqueueRoute(registry, tenantId.toHexString());
    return { tenants: tenants.length, unclassified };
  });

  registry.process(triageFeedbackJob, async ({ tenantId, ticketId, categoryId, closed }) => {
    const ctx = systemCtx(oid(tenantId), 'Triage');
    if (categoryId !== undefined) await domain.triage.recordLabel(ctx, oid(ticketId), categoryId ? oid(categoryId) : null);
    if (closed) await domain.triage.markClosed(ctx, oid(ticketId));
    return { ok: true };
  });

  await registry.repeat(routeSweepJob, deps.sweepEveryMs ?? 20_000);
}
