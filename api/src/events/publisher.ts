import { EventEmitter } from 'node:events';
import type { Types } from 'mongoose';
import type { DomainEvent } from './event-types.ts';

/** A batch of events of one tenant, as appended by one domain operation. */
export interface PublishedBatch {
  tenantId: string;
  events: DomainEvent[];
}

/** A consumer of published events (realtime fan-out, indexing, triage, SLA). */
export type EventListener = (batch: PublishedBatch) => void | Promise<void>;

/**
 * Where services hand events after they are safely in the log. Delivery is best-effort
 * by design: the log is the truth and clients resync from it, so a failing listener is
 * logged and never fails the operation that produced the event.
 */
export interface EventPublisher {
  publish(tenantId: Types.ObjectId, events: DomainEvent[]): Promise<void>;
  subscribe(listener: EventListener): () => void;
}

/** In-process publisher: listeners in this process, called in registration order. */
export class InProcessPublisher implements EventPublisher {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor(private readonly onError: (error: unknown) => void = () => undefined) {
    this.emitter.setMaxListeners(100);
  }

  async publish(tenantId: Types.ObjectId, events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const batch: PublishedBatch = { tenantId: tenantId.toHexString(), events };
    for (const listener of this.emitter.listeners('batch') as EventListener[]) {
      try {
        await listener(batch);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.emitter.on('batch', listener);
    return () => this.emitter.off('batch', listener);
  }
}
