/**
 * Routing as pure functions: state in, decisions and the next state out. No I/O, no
 * clock (callers pass `now`), no randomness, so the same inputs always route the same way
 * and every branch is unit-tested. Callers persist the returned state.
 */
import type { Priority } from './priority.service.ts';

/** What routing knows about a ticket. */
export interface RoutableTicket {
  id: string;
  category: string | null;
  priority: Priority;
  channel: string;
  language: string | null;
  tags: readonly string[];
  /** Skills every assignee needs besides those the matched rule asks for. */
  skills?: readonly string[];
}

/** Conditions of a rule; every given condition must hold, each listing accepted values. */
export interface RuleConditions {
  category?: readonly string[];
  priority?: readonly Priority[];
  channel?: readonly string[];
  language?: readonly string[];
  /** At least one of these tags. */
  tagsAny?: readonly string[];
  /** All of these tags. */
  tagsAll?: readonly string[];
}

/** A routing rule: the first matching rule (in list order) picks the team. */
export interface RoutingRule {
  id: string;
  when: RuleConditions;
  teamId: string;
  /** Skills the assignee must have, e.g. `lang:de` or `billing`. */
  skills?: readonly string[];
}

/** How a team picks among eligible agents. */
export type AssignmentStrategy = 'round-robin' | 'least-loaded';

/** An agent as routing sees them. `load` counts the open tickets assigned to them. */
export interface AgentState {
  id: string;
  online: boolean;
  skills: readonly string[];
  capacity: number;
  load: number;
}

/** A ticket waiting in a team's queue for an agent with room. */
export interface QueuedTicket {
  ticketId: string;
  priority: Priority;
  skills: readonly string[];
  enqueuedAt: number;
}

/** A team: its members, how it assigns, and its waiting queue. */
export interface TeamState {
  id: string;
  strategy: AssignmentStrategy;
  memberIds: readonly string[];
  /** The agent who got the last round-robin assignment. */
  lastAssignedId: string | null;
  queue: readonly QueuedTicket[];
}

/** All routing state of one tenant. */
export interface RoutingState {
  teams: Readonly<Record<string, TeamState>>;
  agents: Readonly<Record<string, AgentState>>;
}

/** Routing configuration of one tenant. */
export interface RoutingConfig {
  rules: readonly RoutingRule[];
  /** Team for tickets no rule matches. */
  defaultTeamId: string;
  /**
   * Head start in the queue per priority, in ms: a ticket ranks as if it had arrived this
   * much earlier. Urgent work jumps ahead, yet a long-waiting low ticket still gets served.
   */
  priorityHeadStartMs?: Partial<Record<Priority, number>>;
}

/** Default head starts: urgent one hour, high 20 minutes. */
export const defaultHeadStartMs: Record<Priority, number> = { urgent: 60 * 60_000, high: 20 * 60_000, normal: 0, low: 0 };

/** An assignment made by routing. */
export interface Assignment {
  ticketId: string;
  teamId: string;
  agentId: string;
}

/** What happened to a routed ticket. */
export type RouteDecision =
  | { kind: 'assigned'; teamId: string; ruleId: string | null; agentId: string }
  | { kind: 'queued'; teamId: string; ruleId: string | null; position: number };

/** The team a ticket goes to and the skills its assignee needs. */
export interface TeamSelection {
  teamId: string;
  ruleId: string | null;
  skills: string[];
}

function holds<T>(accepted: readonly T[] | undefined, value: T | null): boolean {
  return accepted === undefined || (value !== null && accepted.includes(value));
}

/** True when every condition of `when` holds for the ticket (an empty rule matches all). */
export function ruleMatches(when: RuleConditions, ticket: RoutableTicket): boolean {
  return (
    holds(when.category, ticket.category) &&
    holds(when.priority, ticket.priority) &&
    holds(when.channel, ticket.channel) &&
    holds(when.language, ticket.language) &&
    (when.tagsAny === undefined || when.tagsAny.some((t) => ticket.tags.includes(t))) &&
    (when.tagsAll === undefined || when.tagsAll.every((t) => ticket.tags.includes(t)))
  );
}

/** Picks the team: the first matching rule, else the default team. */
export function selectTeam(ticket: RoutableTicket, config: RoutingConfig): TeamSelection {
  const rule = config.rules.find((r) => ruleMatches(r.when, ticket));
  const skills = [...new Set([...(rule?.skills ?? []), ...(ticket.skills ?? [])])].sort();
  return { teamId: rule?.teamId ?? config.defaultTeamId, ruleId: rule?.id ?? null, skills };
}

/** Whether an agent may take a ticket needing `skills` now. */
export function isEligible(agent: AgentState, skills: readonly string[]): boolean {
  return agent.online && agent.load < agent.capacity && skills.every((s) => agent.skills.includes(s));
}

/**
 * Chooses an agent of the team for a ticket needing `skills`, or null when nobody is
 * online with room and the skills. Round-robin: the next eligible member after the last
 * one assigned, in id order. Least-loaded: lowest load, then lowest load/capacity, then
 * round-robin order among equals.
 */
export function pickAgent(team: TeamState, agents: RoutingState['agents'], skills: readonly string[]): AgentState | null {
  const members = [...new Set(team.memberIds)]
    .sort()
    .map((id) => agents[id])
    .filter((a): a is AgentState => a !== undefined);
  const last = team.lastAssignedId;
  const startAt =
    last === null
      ? 0
      : Math.max(
          0,
          members.findIndex((a) => a.id > last),
        );
  const rotated = [...members.slice(startAt), ...members.slice(0, startAt)];
  const eligible = rotated.filter((a) => isEligible(a, skills));
  if (eligible.length === 0) return null;
  if (team.strategy === 'round-robin') return eligible[0]!;
  return eligible.reduce((best, a) =>
    a.load < best.load || (a.load === best.load && a.load / a.capacity < best.load / best.capacity) ? a : best,
  );
}

function withAssignment(state: RoutingState, teamId: string, agentId: string): RoutingState {
  const agent = state.agents[agentId]!;
  return {
    teams: { ...state.teams, [teamId]: { ...state.teams[teamId]!, lastAssignedId: agentId } },
    agents: { ...state.agents, [agentId]: { ...agent, load: agent.load + 1 } },
  };
}

/** Queue order: earliest effective arrival (arrival minus priority head start), then arrival, then id. */
export function queueOrder(
  queue: readonly QueuedTicket[],
  headStartMs: Partial<Record<Priority, number>> = defaultHeadStartMs,
): QueuedTicket[] {
  const effective = (t: QueuedTicket) => t.enqueuedAt - (headStartMs[t.priority] ?? defaultHeadStartMs[t.priority]);
  return [...queue].sort((a, b) => effective(a) - effective(b) || a.enqueuedAt - b.enqueuedAt || a.ticketId.localeCompare(b.ticketId));
}

/**
 * Routes a new ticket: selects the team, assigns an eligible agent at once, or queues it.
 * A ticket already waiting in that team's queue is not queued twice.
 */
export function routeTicket(
  state: RoutingState,
  config: RoutingConfig,
  ticket: RoutableTicket,
  now: number,
): { decision: RouteDecision; state: RoutingState } {
  const selection = selectTeam(ticket, config);
  const team = state.teams[selection.teamId];
  if (!team) throw new RangeError(`routing rule ${selection.ruleId ?? '(default)'} names unknown team ${selection.teamId}`);
  const waiting = team.queue.find((q) => q.ticketId === ticket.id);
  const agent = waiting ? null : pickAgent(team, state.agents, selection.skills);
  if (agent) {
    return {
      decision: { kind: 'assigned', teamId: team.id, ruleId: selection.ruleId, agentId: agent.id },
      state: withAssignment(state, team.id, agent.id),
    };
  }
  const queue = waiting
    ? team.queue
    : [...team.queue, { ticketId: ticket.id, priority: ticket.priority, skills: selection.skills, enqueuedAt: now }];
  const position = queueOrder(queue, config.priorityHeadStartMs).findIndex((q) => q.ticketId === ticket.id) + 1;
  return {
    decision: { kind: 'queued', teamId: team.id, ruleId: selection.ruleId, position },
    state: { ...state, teams: { ...state.teams, [team.id]: { ...team, queue } } },
  };
}

/**
 * Assigns waiting tickets while agents have room, in fair queue order. A ticket whose
 * skills nobody available has is skipped, not allowed to block the tickets behind it.
 */
export function drainQueues(
  state: RoutingState,
  config: Pick<RoutingConfig, 'priorityHeadStartMs'> = {},
): { assignments: Assignment[]; state: RoutingState } {
  let next = state;
  const assignments: Assignment[] = [];
  for (const teamId of Object.keys(state.teams).sort()) {
    for (const waiting of queueOrder(next.teams[teamId]!.queue, config.priorityHeadStartMs)) {
      const team = next.teams[teamId]!;
      const agent = pickAgent(team, next.agents, waiting.skills);
      if (!agent) continue;
      next = withAssignment(next, teamId, agent.id);
      const updated = next.teams[teamId]!;
      next = {
        ...next,
        teams: { ...next.teams, [teamId]: { ...updated, queue: updated.queue.filter((q) => q.ticketId !== waiting.ticketId) } },
      };
      assignments.push({ ticketId: waiting.ticketId, teamId, agentId: agent.id });
    }
  }
  return { assignments, state: next };
}

/** An agent finished (or handed off) a ticket: their load drops and the queues drain. */
export function releaseTicket(
  state: RoutingState,
  agentId: string,
  config: Pick<RoutingConfig, 'priorityHeadStartMs'> = {},
): { assignments: Assignment[]; state: RoutingState } {
  const agent = state.agents[agentId];
  if (!agent) throw new RangeError(`unknown agent ${agentId}`);
  const released = { ...state, agents: { ...state.agents, [agentId]: { ...agent, load: Math.max(0, agent.load - 1) } } };
  return drainQueues(released, config);
}

/** An agent went online or offline, or changed capacity; going online or growing drains the queues. */
export function updateAgent(
  state: RoutingState,
  agentId: string,
  change: Partial<Pick<AgentState, 'online' | 'capacity' | 'skills'>>,
  config: Pick<RoutingConfig, 'priorityHeadStartMs'> = {},
): { assignments: Assignment[]; state: RoutingState } {
  const agent = state.agents[agentId];
  if (!agent) throw new RangeError(`unknown agent ${agentId}`);
  return drainQueues({ ...state, agents: { ...state.agents, [agentId]: { ...agent, ...change } } }, config);
}

/** Removes a ticket from every queue (closed or assigned by hand while waiting). */
export function dequeueTicket(state: RoutingState, ticketId: string): RoutingState {
  const teams = Object.fromEntries(
    Object.entries(state.teams).map(([id, team]) => [id, { ...team, queue: team.queue.filter((q) => q.ticketId !== ticketId) }]),
  );
  return { ...state, teams };
}
