import { describe, expect, it } from 'vitest';
import { resourceLifetime } from '../../src/renewal/lifetimes';

// Graph's documented maxima (change-notifications-subscription-lifetime.md), by example resource.
const cases: [string, number][] = [
  ["users/8d3e/mailFolders('Inbox')/messages", 4230],
  ['/me/messages', 4230],
  ['users/8d3e/events', 4230],
  ['users/8d3e/contacts', 4230],
  ['groups/1f2a/conversations', 4230],
  ['communications/callRecords', 4230],
  ['users', 41760],
  ['groups/1f2a', 41760],
  ['drives/b!x/root', 42300],
  ['users/8d3e/drive/root', 42300],
  ['sites/contoso/lists/abc', 42300],
  ['security/alerts?$filter=status eq \'NewAlert\'', 43200],
  ['chats/getAllMessages', 4320],
  ['teams/1/channels/2/messages', 4320],
  ['communications/onlineMeetings/?$filter=JoinWebUrl eq \'x\'', 4320],
  ['teams/1/schedule/shifts', 360],
  ['communications/presences/8d3e', 60],
];

describe("Graph's maximum subscription lifetime", () => {
  it.each(cases)('is known for %s (%i minutes)', (resource, minutes) => {
    expect(resourceLifetime(resource)).toMatchObject({ maxMinutes: minutes, known: true });
  });

  it('falls back to the Outlook maximum for an unknown resource, and says so', () => {
    expect(resourceLifetime('employeeExperience/learningProviders')).toEqual({ kind: 'unknown', maxMinutes: 4230, known: false });
  });
});
