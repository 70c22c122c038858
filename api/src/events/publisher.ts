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
 * Where a consumer that must not miss events (the job dispatcher) writes down, before the
 * events are stored, what it will owe for them. A process that dies after storing events
 * but before publishing them leaves that record behind for a sweep to finish the work.
 */
export interface DispatchJournal {
  /** Records that the events about to be stored under these seqs are owed their jobs. */
  intend(tenantId: Types.ObjectId, seqs: number[]): Promise<void>;
}

/**
 * Where services hand events after they are safely in the log. Delivery is best-effort
 * by design: the log is the truth and clients resync from it, so a failing listener is
 * logged and never fails the operation that produced the event.
 */
export interface EventPublisher {
  publish(tenantId: Types.ObjectId, events: DomainEvent[]): Promise<void>;
  subscribe(listener: EventListener): () => void;
  /**
   * Called by the log once seqs are reserved and before their events are stored; resolves
   * once the journal (if any) has them. A rejection fails the write before anything is stored.
   */
  intend(tenantId: Types.ObjectId, seqs: number[]): Promise<void>;
}

/** In-process publisher: listeners in this process, called in registration order. */
export class InProcessPublisher implements EventPublisher {
  private readonly emitter = new EventEmitter({ captureRejections: false });
  private journal: DispatchJournal | undefined;

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

  /** Sets the journal {@link intend} writes to (one per process: the job dispatcher's), or none. */
  useJournal(journal: DispatchJournal | undefined): void {
    this.journal = journal;
  }

  async intend(tenantId: Types.ObjectId, seqs: number[]): Promise<void> {
    if (this.journal && seqs.length > 0) await this.journal.intend(tenantId, seqs);
  }
}
