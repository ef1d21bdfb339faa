import { describe, expect, it } from 'vitest';
import { DOCUMENTED_RULES } from '../../src/renewal/policy/documentedLifetimes';
import { GraphRules } from '../../src/renewal/policy/graphRules';

const documented = () => new GraphRules(DOCUMENTED_RULES);

// Graph's documented maxima (subscription resource page, "Subscription lifetime"), by example resource.
const cases: [string, number, string][] = [
  ["users/8d3e/mailFolders('Inbox')/messages", 10080, 'outlook'],
  ["users('8d3e')/messages", 10080, 'outlook'],
  ['/me/messages', 10080, 'outlook'],
  ['users/8d3e/events', 10080, 'outlook'],
  ['users/8d3e/contacts', 10080, 'outlook'],
  ['groups/1f2a/conversations', 4230, 'group-conversation'],
  ["groups('1f2a')/conversations", 4230, 'group-conversation'],
  ['communications/callRecords', 4230, 'call-record'],
  ['print/printers/p1/jobs', 4230, 'print'],
  ['me/todo/lists/l1/tasks', 4230, 'todo'],
  ['users', 41760, 'directory'],
  ['groups/1f2a', 41760, 'directory'],
  ['drives/b!x/root', 42300, 'drive-list'],
  ['users/8d3e/drive/root', 42300, 'drive-list'],
  ['sites/contoso/lists/abc', 42300, 'drive-list'],
  ["security/alerts?$filter=status eq 'NewAlert'", 43200, 'security-alert'],
  ['solutions/approval/approvalItems', 43200, 'teams-approvals'],
  ['chats/getAllMessages', 4320, 'teams'],
  ['teams/1/channels/2/messages', 4320, 'teams'],
  ['communications/onlineMeetings/getAllTranscripts', 4320, 'teams'],
  ['copilot/interactionHistory/getAllEnterpriseInteractions', 4320, 'copilot'],
  ['copilot/users/8d3e/interactionHistory/getAllEnterpriseInteractions', 4320, 'copilot'],
  ["communications/onlineMeetings/?$filter=JoinWebUrl eq 'x'", 4230, 'online-meeting'],
  ['teams/1/schedule/shifts', 360, 'teams-shifts'],
  ['communications/presences/8d3e', 60, 'presence'],
  ["/communications/presences?$filter=id in ('a','b')", 60, 'presence'],
];

describe("Graph's maximum subscription lifetime", () => {
  it.each(cases)('is known for %s (%i minutes, %s)', (resource, minutes, kind) => {
    // A lifecycle URL: Teams and Copilot allow more than an hour only with one.
    expect(documented().lifetimeOf({ resource, lifecycleNotificationUrl: 'https://a.example/l' })).toMatchObject({
      maxMinutes: minutes,
      kind,
      known: true,
      source: 'documented',
    });
  });

  it('is 1,440 minutes for Outlook with resource data, a kind of its own', () => {
    expect(documented().lifetimeOf({ resource: 'users/8d3e/messages', includeResourceData: true })).toMatchObject({
      key: 'outlook+rich',
      maxMinutes: 1440,
    });
  });

  it('is the same with or without resource data where the docs give one number, kept apart for what Graph teaches', () => {
    expect(documented().lifetimeOf({ resource: 'users', includeResourceData: true })).toMatchObject({
      key: 'directory+rich',
      maxMinutes: 41760,
    });
    const rules = documented();
    rules.learn({
      key: 'teams+rich',
      maxMinutes: 60,
      configuredMinutes: 4320,
      learntAt: new Date(),
      subscriptionId: 's',
    });
    expect(
      rules.lifetimeOf({
        resource: 'chats/getAllMessages',
        includeResourceData: true,
        lifecycleNotificationUrl: 'https://a.example/l',
      }).maxMinutes,
    ).toBe(60);
    expect(
      rules.lifetimeOf({ resource: 'chats/getAllMessages', lifecycleNotificationUrl: 'https://a.example/l' })
        .maxMinutes,
    ).toBe(4320);
  });

  it('is an hour for Teams and Copilot without a lifecycle URL, and says why', () => {
    const lifetime = documented().lifetimeOf({ resource: 'chats/getAllMessages' });
    expect(lifetime).toMatchObject({ kind: 'teams', maxMinutes: 60, configuredMinutes: 4320 });
    expect(lifetime.cappedBecause).toMatch(/no lifecycleNotificationUrl/);
  });

  it('assumes the lowest long-lived maximum for an unknown resource, and says so', () => {
    expect(documented().lifetimeOf({ resource: 'employeeExperience/learningProviders' })).toMatchObject({
      kind: 'unknown',
      maxMinutes: 4230,
      known: false,
      source: 'assumed',
    });
  });
});

describe('a maximum Graph states in a refusal', () => {
  const learnt = (maxMinutes: number, configuredMinutes = 10080) => ({
    key: 'outlook',
    maxMinutes,
    configuredMinutes,
    learntAt: new Date('2026-12-01T09:00:00Z'),
    subscriptionId: 's1',
  });

  it('is asked within from then on', () => {
    const rules = documented();
    expect(rules.learn(learnt(4230))).toBeDefined();
    expect(rules.lifetimeOf({ resource: 'users/a/messages' })).toMatchObject({
      maxMinutes: 4230,
      configuredMinutes: 10080,
      source: 'learnt',
    });
    expect(rules.learntInForce()).toHaveLength(1);
  });

  it("teaches nothing when it equals the rules (only Graph's clock was behind)", () => {
    const rules = documented();
    expect(rules.learn(learnt(10080))).toBeUndefined();
    expect(rules.lifetimeOf({ resource: 'users/a/messages' }).source).toBe('documented');
  });

  it('is set aside once the rules for its kind change (an override, a release)', () => {
    const rules = new GraphRules(DOCUMENTED_RULES, [learnt(4230, 20160)]);
    expect(rules.lifetimeOf({ resource: 'users/a/messages' }).maxMinutes).toBe(10080);
    expect(rules.learntSetAside()).toHaveLength(1);
  });

  it('keeps the newer of two learnt for one kind, and forgets what the record no longer holds', () => {
    const rules = documented();
    rules.useLearnt([
      learnt(4230),
      { ...learnt(2880), learntAt: new Date('2026-12-02T09:00:00Z') },
      { ...learnt(4000), learntAt: new Date('2026-11-30T09:00:00Z') },
    ]);
    expect(rules.lifetimeOf({ resource: 'users/a/messages' }).maxMinutes).toBe(2880);
    rules.useLearnt([]);
    expect(rules.lifetimeOf({ resource: 'users/a/messages' }).maxMinutes).toBe(10080);
  });
});
