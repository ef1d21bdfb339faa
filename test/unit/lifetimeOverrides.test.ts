import { describe, expect, it } from 'vitest';
import { GraphRules } from '../../src/renewal/policy/graphRules';
import { applyOverrides, parseLifetimeOverrides } from '../../src/renewal/policy/lifetimeOverrides';

const rulesFrom = (setting: string) => new GraphRules(applyOverrides(parseLifetimeOverrides(setting)));

describe('GRAPH_MAX_LIFETIMES', () => {
  it("replaces a documented kind's maximum", () => {
    const rules = rulesFrom('outlook=4230');
    expect(rules.lifetimeOf({ resource: 'users/a/messages' })).toMatchObject({ maxMinutes: 4230, source: 'override' });
    expect(rules.lifetimeOf({ resource: 'users/a/messages', includeResourceData: true }).maxMinutes).toBe(1440);
  });

  it('replaces the resource-data variant on its own', () => {
    const rules = rulesFrom('outlook+rich=720');
    expect(rules.lifetimeOf({ resource: 'users/a/messages', includeResourceData: true }).maxMinutes).toBe(720);
    expect(rules.lifetimeOf({ resource: 'users/a/messages' }).maxMinutes).toBe(10080);
  });

  it('adds a resource path pattern, which wins over the wider documented rules', () => {
    const rules = rulesFrom("users/{id}/mailFolders('Inbox')/messages=2000; employeeExperience/**=600");
    expect(rules.lifetimeOf({ resource: "users/8d3e/mailFolders('Inbox')/messages" })).toMatchObject({
      maxMinutes: 2000,
      source: 'override',
    });
    expect(rules.lifetimeOf({ resource: 'users/8d3e/messages' }).maxMinutes).toBe(10080);
    expect(rules.lifetimeOf({ resource: 'employeeExperience/learningProviders/x' })).toMatchObject({
      maxMinutes: 600,
      known: true,
    });
  });

  it('takes entries on several lines, ignoring blank ones', () => {
    expect(parseLifetimeOverrides('presence=60\n\n teams-shifts=300 ;')).toEqual([
      { key: 'presence', maxMinutes: 60 },
      { key: 'teams-shifts', maxMinutes: 300 },
    ]);
  });

  it.each([
    ['outlook', /not key=minutes/],
    ['outlook=abc', /whole number of minutes from 45/],
    ['presence=30', /from 45 \(Graph's floor\)/],
    ['outlok=4230', /"outlok" is not a known kind \(presence, .*\) nor a resource path pattern/],
    ['outlook=4230;outlook=4000', /given twice/],
    ['things/*+rich=100', /add things\/\*=<minutes> too/],
  ])('refuses %s, saying what is wrong', (setting, message) => {
    expect(() => parseLifetimeOverrides(setting)).toThrow(message);
  });
});
