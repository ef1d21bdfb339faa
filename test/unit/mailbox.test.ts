import { describe, expect, it } from 'vitest';
import { mailboxOf } from '../../src/renewal/policy/mailbox';

describe('the mailbox a resource counts against', () => {
  it.each([
    [
      "users/8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11/mailFolders('Inbox')/messages",
      'users/8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11',
    ],
    ['/Users/ABC/events', 'users/abc'],
    ["users('abc')/messages", 'users/abc'],
    ['me/messages', 'me'],
    ['groups/g1/conversations', 'groups/g1'],
    ['groups/g1/threads', 'groups/g1'],
  ])('%s is in mailbox %s', (resource, mailbox) => {
    expect(mailboxOf(resource)).toBe(mailbox);
  });

  it.each(['users', 'groups', 'groups/g1', 'users/abc', 'teams/getAllMessages', 'drives/d1/root', 'security/alerts'])(
    '%s is not a mailbox resource: no per-mailbox limit',
    (resource) => {
      expect(mailboxOf(resource)).toBeUndefined();
    },
  );

  it('puts the subscriptions of one user in one mailbox, whatever the folder', () => {
    expect(mailboxOf("users/u1/mailFolders('Inbox')/messages")).toBe(mailboxOf('users/u1/events'));
  });
});
