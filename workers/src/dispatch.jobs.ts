import { defineSweepJob } from './queues/definition.ts';

/** Periodic: queue the jobs of events whose publication could not reach Redis. */
export const dispatchSweepJob = defineSweepJob('dispatch-sweep');
