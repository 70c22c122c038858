import { describe, expect, it } from 'vitest';
import {
  dequeueTicket,
  drainQueues,
  isEligible,
  pickAgent,
  queueOrder,
  releaseTicket,
  routeTicket,
  ruleMatches,
  selectTeam,
  updateAgent,
  type AgentState,
  type QueuedTicket,
  type RoutableTicket,
  type RoutingConfig,
  type RoutingState,
  type TeamState,
} from './routing.service.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 9, 0);

function ticket(id: string, over: Partial<RoutableTicket> = {}): RoutableTicket {
  return { id, category: 'billing', priority: 'normal', channel: 'email', language: 'en', tags: [], ...over };
}

function agent(id: string, over: Partial<AgentState> = {}): AgentState {
  return { id, online: true, skills: [], capacity: 2, load: 0, ...over };
}

function team(id: string, memberIds: string[], over: Partial<TeamState> = {}): TeamState {
  return { id, strategy: 'round-robin', memberIds, lastAssignedId: null, queue: [], ...over };
}

function state(teams: TeamState[], agents: AgentState[]): RoutingState {
  return { teams: Object.fromEntries(teams.map((t) => [t.id, t])), agents: Object.fromEntries(agents.map((a) => [a.id, a])) };
}

const config: RoutingConfig = {
  defaultTeamId: 'general',
  rules: [
    { id: 'urgent-any', when: { priority: ['urgent'] }, teamId: 'escalations' },
    { id: 'billing-de', when: { category: ['billing'], language: ['de'] }, teamId: 'billing', skills: ['lang:de'] },
    { id: 'billing', when: { category: ['billing'] }, teamId: 'billing' },
    { id: 'api-chat', when: { category: ['integrations_api'], channel: ['chat'] }, teamId: 'tech', skills: ['api'] },
    { id: 'vip', when: { tagsAny: ['vip', 'enterprise'] }, teamId: 'vip' },
    { id: 'legal', when: { tagsAll: ['gdpr', 'legal'] }, teamId: 'legal' },
  ],
};

describe('ruleMatches', () => {
  it('matches everything with an empty rule', () => {
    expect(ruleMatches({}, ticket('a'))).toBe(true);
    expect(ruleMatches({}, ticket('a', { category: null, language: null }))).toBe(true);
  });

  it('requires every given condition', () => {
    const when = { category: ['billing'], language: ['de'] };
    expect(ruleMatches(when, ticket('a', { language: 'de' }))).toBe(true);
    expect(ruleMatches(when, ticket('a', { language: 'en' }))).toBe(false);
    expect(ruleMatches(when, ticket('a', { category: 'bug_report', language: 'de' }))).toBe(false);
  });

  it('never matches a null field against a list', () => {
    expect(ruleMatches({ category: ['billing'] }, ticket('a', { category: null }))).toBe(false);
    expect(ruleMatches({ language: ['en'] }, ticket('a', { language: null }))).toBe(false);
  });

  it('checks priority and channel', () => {
    expect(ruleMatches({ priority: ['high', 'urgent'] }, ticket('a', { priority: 'urgent' }))).toBe(true);
    expect(ruleMatches({ priority: ['high', 'urgent'] }, ticket('a', { priority: 'low' }))).toBe(false);
    expect(ruleMatches({ channel: ['chat'] }, ticket('a', { channel: 'chat' }))).toBe(true);
    expect(ruleMatches({ channel: ['chat'] }, ticket('a', { channel: 'email' }))).toBe(false);
  });

  it('distinguishes any-tag from all-tags', () => {
    expect(ruleMatches({ tagsAny: ['vip', 'enterprise'] }, ticket('a', { tags: ['enterprise'] }))).toBe(true);
    expect(ruleMatches({ tagsAny: ['vip'] }, ticket('a', { tags: [] }))).toBe(false);
    expect(ruleMatches({ tagsAll: ['gdpr', 'legal'] }, ticket('a', { tags: ['gdpr', 'legal', 'x'] }))).toBe(true);
    expect(ruleMatches({ tagsAll: ['gdpr', 'legal'] }, ticket('a', { tags: ['gdpr'] }))).toBe(false);
  });
});

describe('selectTeam', () => {
  it('takes the first matching rule in order', () => {
    expect(selectTeam(ticket('a', { priority: 'urgent', language: 'de' }), config)).toEqual({
      teamId: 'escalations',
      ruleId: 'urgent-any',
      skills: [],
    });
    expect(selectTeam(ticket('a', { language: 'de' }), config)).toEqual({ teamId: 'billing', ruleId: 'billing-de', skills: ['lang:de'] });
    expect(selectTeam(ticket('a'), config)).toEqual({ teamId: 'billing', ruleId: 'billing', skills: [] });
  });

  it('falls back to the default team', () => {
    expect(selectTeam(ticket('a', { category: 'feature_request' }), config)).toEqual({ teamId: 'general', ruleId: null, skills: [] });
    expect(selectTeam(ticket('a', { category: null }), config).teamId).toBe('general');
  });

  it('unions rule skills with the ticket own skills, sorted and unique', () => {
    const selection = selectTeam(ticket('a', { category: 'integrations_api', channel: 'chat', skills: ['lang:fr', 'api'] }), config);
    expect(selection).toEqual({ teamId: 'tech', ruleId: 'api-chat', skills: ['api', 'lang:fr'] });
  });

  it('routes by tags', () => {
    expect(selectTeam(ticket('a', { category: 'bug_report', tags: ['vip'] }), config).teamId).toBe('vip');
    expect(selectTeam(ticket('a', { category: 'data_privacy', tags: ['legal', 'gdpr'] }), config).teamId).toBe('legal');
  });
});

describe('isEligible', () => {
  it('needs online, room and every skill', () => {
    expect(isEligible(agent('a', { skills: ['api', 'lang:de'] }), ['api'])).toBe(true);
    expect(isEligible(agent('a', { online: false }), [])).toBe(false);
    expect(isEligible(agent('a', { load: 2, capacity: 2 }), [])).toBe(false);
    expect(isEligible(agent('a', { capacity: 0 }), [])).toBe(false);
    expect(isEligible(agent('a', { skills: ['api'] }), ['api', 'lang:de'])).toBe(false);
  });
});

describe('pickAgent', () => {
  const agents = { a: agent('a'), b: agent('b'), c: agent('c') };

  it('round-robin starts at the first member in id order', () => {
    expect(pickAgent(team('t', ['c', 'a', 'b']), agents, [])?.id).toBe('a');
  });

  it('round-robin continues after the last assigned member and wraps', () => {
    expect(pickAgent(team('t', ['a', 'b', 'c'], { lastAssignedId: 'a' }), agents, [])?.id).toBe('b');
    expect(pickAgent(team('t', ['a', 'b', 'c'], { lastAssignedId: 'c' }), agents, [])?.id).toBe('a');
  });

  it('round-robin continues correctly when the last assignee left the team', () => {
    expect(pickAgent(team('t', ['a', 'c'], { lastAssignedId: 'b' }), agents, [])?.id).toBe('c');
    expect(pickAgent(team('t', ['a', 'c'], { lastAssignedId: 'z' }), agents, [])?.id).toBe('a');
  });

  it('round-robin skips offline, full and unskilled agents', () => {
    const mixed = { a: agent('a', { online: false }), b: agent('b', { load: 2 }), c: agent('c', { skills: ['api'] }), d: agent('d') };
    expect(pickAgent(team('t', ['a', 'b', 'c', 'd']), mixed, [])?.id).toBe('c');
    expect(pickAgent(team('t', ['a', 'b', 'c', 'd'], { lastAssignedId: 'c' }), mixed, [])?.id).toBe('d');
    expect(pickAgent(team('t', ['a', 'b', 'c', 'd']), mixed, ['api'])?.id).toBe('c');
  });

  it('returns null when nobody is eligible or the team is empty', () => {
    expect(pickAgent(team('t', ['a', 'b']), { a: agent('a', { online: false }), b: agent('b', { load: 5, capacity: 5 }) }, [])).toBeNull();
    expect(pickAgent(team('t', []), agents, [])).toBeNull();
    expect(pickAgent(team('t', ['ghost']), agents, [])).toBeNull();
  });

  it('least-loaded picks the lowest load, then the lowest utilisation, then round-robin order', () => {
    const loaded = {
      a: agent('a', { load: 2, capacity: 5 }),
      b: agent('b', { load: 1, capacity: 2 }),
      c: agent('c', { load: 1, capacity: 4 }),
    };
    expect(pickAgent(team('t', ['a', 'b', 'c'], { strategy: 'least-loaded' }), loaded, [])?.id).toBe('c');
    const tied = { a: agent('a', { load: 1 }), b: agent('b', { load: 1 }), c: agent('c', { load: 1 }) };
    expect(pickAgent(team('t', ['a', 'b', 'c'], { strategy: 'least-loaded', lastAssignedId: 'a' }), tied, [])?.id).toBe('b');
  });
});

describe('queueOrder', () => {
  const q = (ticketId: string, priority: QueuedTicket['priority'], enqueuedAt: number): QueuedTicket => ({
    ticketId,
    priority,
    skills: [],
    enqueuedAt,
  });

  it('serves oldest first within a priority, ids breaking exact ties', () => {
    expect(queueOrder([q('b', 'normal', T0), q('c', 'normal', T0 - MIN), q('a', 'normal', T0)]).map((x) => x.ticketId)).toEqual([
      'c',
      'a',
      'b',
    ]);
  });

  it('lets urgent work jump ahead by its head start', () => {
    const order = queueOrder([q('old-normal', 'normal', T0 - 30 * MIN), q('new-urgent', 'urgent', T0), q('new-high', 'high', T0)]);
    expect(order.map((x) => x.ticketId)).toEqual(['new-urgent', 'old-normal', 'new-high']);
  });

  it('never starves a low ticket: after waiting longer than the head start it goes first', () => {
    const order = queueOrder([q('urgent', 'urgent', T0), q('low', 'low', T0 - 61 * MIN)]);
    expect(order.map((x) => x.ticketId)).toEqual(['low', 'urgent']);
  });

  it('accepts custom head starts', () => {
    const order = queueOrder([q('normal', 'normal', T0 - 10 * MIN), q('high', 'high', T0)], { high: 5 * MIN });
    expect(order.map((x) => x.ticketId)).toEqual(['normal', 'high']);
  });

  it('does not mutate its input', () => {
    const input = [q('b', 'normal', T0), q('a', 'normal', T0 - MIN)];
    queueOrder(input);
    expect(input.map((x) => x.ticketId)).toEqual(['b', 'a']);
  });
});

describe('routeTicket', () => {
  const base = () =>
    state(
      [
        team('billing', ['ann', 'bob']),
        team('general', ['cat'], { strategy: 'least-loaded' }),
        team('escalations', ['dan']),
        team('tech', ['eve']),
        team('vip', []),
        team('legal', []),
      ],
      [agent('ann', { skills: ['lang:de'] }), agent('bob'), agent('cat'), agent('dan', { capacity: 1 }), agent('eve', { skills: ['api'] })],
    );

  it('assigns to an eligible agent and counts the load', () => {
    const { decision, state: next } = routeTicket(base(), config, ticket('t1'), T0);
    expect(decision).toEqual({ kind: 'assigned', teamId: 'billing', ruleId: 'billing', agentId: 'ann' });
    expect(next.agents.ann!.load).toBe(1);
    expect(next.teams.billing!.lastAssignedId).toBe('ann');
  });

  it('rotates assignments round-robin', () => {
    let s = base();
    const assignees: string[] = [];
    for (const id of ['t1', 't2', 't3', 't4']) {
      const result = routeTicket(s, config, ticket(id), T0);
      if (result.decision.kind === 'assigned') assignees.push(result.decision.agentId);
      s = result.state;
    }
    expect(assignees).toEqual(['ann', 'bob', 'ann', 'bob']);
    expect(s.agents.ann!.load).toBe(2);
    expect(s.agents.bob!.load).toBe(2);
  });

  it('requires the rule skills', () => {
    const { decision } = routeTicket(base(), config, ticket('t1', { language: 'de' }), T0);
    expect(decision).toMatchObject({ kind: 'assigned', agentId: 'ann', ruleId: 'billing-de' });
    const noGerman = { ...base(), agents: { ...base().agents, ann: agent('ann', { online: false }) } };
    expect(routeTicket(noGerman, config, ticket('t2', { language: 'de' }), T0).decision).toMatchObject({
      kind: 'queued',
      teamId: 'billing',
      position: 1,
    });
  });

  it('queues when everyone is full, with a priority-aware position', () => {
    let s = routeTicket(base(), config, ticket('u1', { priority: 'urgent' }), T0).state;
    const second = routeTicket(s, config, ticket('u2', { priority: 'urgent' }), T0 + MIN);
    expect(second.decision).toEqual({ kind: 'queued', teamId: 'escalations', ruleId: 'urgent-any', position: 1 });
    s = second.state;
    const third = routeTicket(s, config, ticket('u3', { priority: 'urgent' }), T0 + 2 * MIN);
    expect(third.decision).toMatchObject({ kind: 'queued', position: 2 });
    expect(third.state.teams.escalations!.queue.map((q) => q.ticketId)).toEqual(['u2', 'u3']);
    expect(third.state.teams.escalations!.queue[0]).toEqual({ ticketId: 'u2', priority: 'urgent', skills: [], enqueuedAt: T0 + MIN });
  });

  it('does not queue the same ticket twice', () => {
    const full = { ...base(), agents: { ...base().agents, dan: agent('dan', { load: 1, capacity: 1 }) } };
    const once = routeTicket(full, config, ticket('u1', { priority: 'urgent' }), T0).state;
    const twice = routeTicket(once, config, ticket('u1', { priority: 'urgent' }), T0 + MIN);
    expect(twice.decision).toMatchObject({ kind: 'queued', position: 1 });
    expect(twice.state.teams.escalations!.queue).toHaveLength(1);
    expect(twice.state.teams.escalations!.queue[0]!.enqueuedAt).toBe(T0);
  });

  it('uses least-loaded in the default team', () => {
    const s = base();
    const withLoad = {
      ...s,
      teams: { ...s.teams, general: team('general', ['cat', 'bob'], { strategy: 'least-loaded' }) },
      agents: { ...s.agents, cat: agent('cat', { load: 1 }) },
    };
    expect(routeTicket(withLoad, config, ticket('f1', { category: 'feature_request' }), T0).decision).toMatchObject({
      kind: 'assigned',
      teamId: 'general',
      agentId: 'bob',
    });
  });

  it('throws on a rule that names an unknown team', () => {
    expect(() => routeTicket(base(), { ...config, defaultTeamId: 'nope' }, ticket('x', { category: 'feature_request' }), T0)).toThrow(
      /unknown team nope/,
    );
  });

  it('leaves the input state untouched', () => {
    const s = base();
    const snapshot = JSON.stringify(s);
    routeTicket(s, config, ticket('t1'), T0);
    expect(JSON.stringify(s)).toBe(snapshot);
  });
});

describe('capacity freeing and queues', () => {
  const full = () =>
    state(
      [team('billing', ['ann', 'bob'], { strategy: 'least-loaded' })],
      [agent('ann', { load: 1, capacity: 1, skills: ['lang:de'] }), agent('bob', { load: 1, capacity: 1 })],
    );
  const cfg: RoutingConfig = {
    defaultTeamId: 'billing',
    rules: [{ id: 'de', when: { language: ['de'] }, teamId: 'billing', skills: ['lang:de'] }],
  };

  function queued(): RoutingState {
    let s = full();
    s = routeTicket(s, cfg, ticket('n-old', { priority: 'normal' }), T0).state;
    s = routeTicket(s, cfg, ticket('de', { priority: 'normal', language: 'de' }), T0 + MIN).state;
    s = routeTicket(s, cfg, ticket('urgent', { priority: 'urgent' }), T0 + 2 * MIN).state;
    s = routeTicket(s, cfg, ticket('n-new', { priority: 'normal' }), T0 + 3 * MIN).state;
    return s;
  }

  it('assigns the fairest waiting ticket the moment capacity frees', () => {
    const s = queued();
    expect(s.teams.billing!.queue).toHaveLength(4);
    const { assignments, state: next } = releaseTicket(s, 'bob');
    expect(assignments).toEqual([{ ticketId: 'urgent', teamId: 'billing', agentId: 'bob' }]);
    expect(next.agents.bob!.load).toBe(1);
    expect(next.teams.billing!.queue.map((q) => q.ticketId)).toEqual(['n-old', 'de', 'n-new']);
  });

  it('skips a ticket nobody available can take instead of blocking the queue', () => {
    const afterUrgent = releaseTicket(queued(), 'bob').state;
    const { assignments } = releaseTicket(afterUrgent, 'bob');
    expect(assignments).toEqual([{ ticketId: 'n-old', teamId: 'billing', agentId: 'bob' }]);
    const skippedGerman = releaseTicket(releaseTicket(afterUrgent, 'bob').state, 'bob');
    expect(skippedGerman.assignments).toEqual([{ ticketId: 'n-new', teamId: 'billing', agentId: 'bob' }]);
    expect(skippedGerman.state.teams.billing!.queue.map((q) => q.ticketId)).toEqual(['de']);
  });

  it('gives the skilled agent the ticket that needs them', () => {
    const afterUrgent = releaseTicket(queued(), 'bob').state;
    const { assignments } = releaseTicket(afterUrgent, 'ann');
    expect(assignments).toEqual([{ ticketId: 'n-old', teamId: 'billing', agentId: 'ann' }]);
  });

  it('never drops load below zero', () => {
    const s = state([team('billing', ['ann'])], [agent('ann', { load: 0 })]);
    expect(releaseTicket(s, 'ann').state.agents.ann!.load).toBe(0);
  });

  it('drains when an agent comes online or gains capacity', () => {
    let s = state([team('billing', ['ann'])], [agent('ann', { online: false })]);
    s = routeTicket(s, cfg, ticket('a'), T0).state;
    s = routeTicket(s, cfg, ticket('b'), T0 + MIN).state;
    s = routeTicket(s, cfg, ticket('c'), T0 + 2 * MIN).state;
    const online = updateAgent(s, 'ann', { online: true });
    expect(online.assignments.map((a) => a.ticketId)).toEqual(['a', 'b']);
    const bigger = updateAgent(online.state, 'ann', { capacity: 3 });
    expect(bigger.assignments.map((a) => a.ticketId)).toEqual(['c']);
    expect(bigger.state.teams.billing!.queue).toEqual([]);
  });

  it('does not assign to an agent going offline', () => {
    let s = state([team('billing', ['ann'])], [agent('ann', { load: 2 })]);
    s = routeTicket(s, cfg, ticket('a'), T0).state;
    const offline = updateAgent(s, 'ann', { online: false });
    expect(offline.assignments).toEqual([]);
    expect(releaseTicket(offline.state, 'ann').assignments).toEqual([]);
  });

  it('drains every team in a stable order and shares agents across teams', () => {
    let s = state([team('a-team', ['sam']), team('b-team', ['sam'])], [agent('sam', { load: 1, capacity: 1 })]);
    s = routeTicket(s, { defaultTeamId: 'b-team', rules: [] }, ticket('b1'), T0).state;
    s = routeTicket(s, { defaultTeamId: 'a-team', rules: [] }, ticket('a1'), T0 + MIN).state;
    const { assignments, state: next } = releaseTicket(s, 'sam');
    expect(assignments).toEqual([{ ticketId: 'a1', teamId: 'a-team', agentId: 'sam' }]);
    expect(next.teams['b-team']!.queue.map((q) => q.ticketId)).toEqual(['b1']);
  });

  it('removes a ticket from every queue', () => {
    const s = dequeueTicket(queued(), 'de');
    expect(s.teams.billing!.queue.map((q) => q.ticketId)).toEqual(['n-old', 'urgent', 'n-new']);
  });

  it('rejects unknown agents', () => {
    expect(() => releaseTicket(full(), 'zed')).toThrow(/unknown agent zed/);
    expect(() => updateAgent(full(), 'zed', { online: true })).toThrow(/unknown agent zed/);
  });

  it('returns no assignments when queues are empty', () => {
    expect(drainQueues(full())).toEqual({ assignments: [], state: full() });
  });
});
