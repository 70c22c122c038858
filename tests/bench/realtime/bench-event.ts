/**
 * The event every benchmark target delivers: a domain event shaped like the ones the
 * hub fans out (`ticket.status_changed`, staff audience), carrying `[phase, seq, sentAtUs]`
 * in `data.bench` so a cheap client can read it without parsing the whole frame.
 */
import type { DomainEvent } from '@switchboard/realtime/protocol';

/** Channel prefix of the hub's Redis adapter (`key` in realtime/src/hub.ts and fanout.ts). */
export const ADAPTER_KEY = 'switchboard';

/** Redis channel on which the raw uWS server receives events to publish. */
export const RAW_CHANNEL = 'bench:raw:staff';

/** Bytes that precede the bench triple in every event frame. */
const BENCH_MARKER = Buffer.from('"bench":[');

/** Prefix of a Socket.IO EVENT packet named `event` on `/agent`, inside an Engine.IO message. */
export const EVENT_FRAME_PREFIX = Buffer.from('42/agent,["event",');

/**
 * Microseconds on the monotonic clock. CLOCK_MONOTONIC is shared by every process on
 * the machine, so a publisher's stamp and a receiver's stamp are comparable.
 */
export function nowUs(): number {
  const [seconds, nanos] = process.hrtime();
  return seconds * 1e6 + nanos / 1e3;
}

/** A realistic event (about 400 bytes on the wire) stamped with its send time. */
export function benchEvent(phase: number, seq: number, sentAtUs: number): DomainEvent {
  return {
    seq,
    type: 'ticket.status_changed',
    ticketId: '665f1c2e9b1e8a0012345678',
    audience: 'staff',
    actor: { id: '665f1c2e9b1e8a0012340001', name: 'Ann Agent', kind: 'user' },
    data: {
      bench: [phase, seq, Math.round(sentAtUs)],
      from: 'open',
      to: 'pending',
      ticket: {
        id: '665f1c2e9b1e8a0012345678',
        number: 4211,
        subject: 'Invoice address is wrong on the last two invoices',
        priority: 'high',
      },
    },
    at: new Date().toISOString(),
  };
}

/** The bench triple of one frame, or undefined when the frame carries none. */
export interface BenchStamp {
  phase: number;
  seq: number;
  sentAtUs: number;
}

function readInt(frame: Buffer, start: number, stop: number): { value: number; next: number } {
  let value = 0;
  let i = start;
  for (; i < frame.length; i++) {
    const c = frame[i]!;
    if (c === stop) break;
    if (c < 0x30 || c > 0x39) return { value: NaN, next: i };
    value = value * 10 + (c - 0x30);
  }
  return { value, next: i + 1 };
}

/** Reads `[phase, seq, sentAtUs]` after {@link BENCH_MARKER}, without JSON-parsing the frame. */
export function readBenchStamp(frame: Buffer, into: BenchStamp): boolean {
  const at = frame.indexOf(BENCH_MARKER);
  if (at < 0) return false;
  const phase = readInt(frame, at + BENCH_MARKER.length, 0x2c);
  const seq = readInt(frame, phase.next, 0x2c);
  const sent = readInt(frame, seq.next, 0x5d);
  if (Number.isNaN(phase.value) || Number.isNaN(seq.value) || Number.isNaN(sent.value)) return false;
  into.phase = phase.value;
  into.seq = seq.value;
  into.sentAtUs = sent.value;
  return true;
}
