import { describe, expect, it } from 'vitest';
import { eventLine } from '../../src/renewal/events';

/** What the shipped KQL does with a trace message: the JSON after the last " | ". */
const fieldsOf = (message: string) => JSON.parse(/\| (\{.*\})$/.exec(message)![1]!);

describe('event lines', () => {
  it('start with the sentence people read and end with the fields queries read', () => {
    const line = eventLine(
      'Webhook renewed successfully. New expiration: 2026-02-18T06:20:00.000Z (subscription a, resource r)',
      {
        event: 'subscriptionRenewed',
        tenantId: 'home',
        runId: 'run-1',
        subscriptionId: 'a',
        resource: "users/x/mailFolders('Inbox')/messages",
        oldExpiration: '2026-02-17T13:30:00.000Z',
        newExpiration: '2026-02-18T06:20:00.000Z',
        outcome: 'renewed',
        concurrentRunWasFirst: false,
      },
    );
    expect(line.startsWith('Webhook renewed successfully. New expiration: 2026-02-18T06:20:00.000Z')).toBe(true);
    expect(fieldsOf(line)).toMatchObject({
      event: 'subscriptionRenewed',
      subscriptionId: 'a',
      resource: "users/x/mailFolders('Inbox')/messages",
      oldExpiration: '2026-02-17T13:30:00.000Z',
      newExpiration: '2026-02-18T06:20:00.000Z',
      outcome: 'renewed',
    });
  });

  it('keeps the fields findable when the sentence itself contains " | {"', () => {
    const line = eventLine('Graph said: bad | {"x":1}', { event: 'runNotStarted', tenantId: '*', error: 'e' });
    expect(fieldsOf(line)).toEqual({ event: 'runNotStarted', tenantId: '*', error: 'e' });
  });

  it('keeps the fields findable when the sentence contains "| {" without a space before it', () => {
    const line = eventLine('Ignored (subscription x| {"event":"notificationsMissed"})', {
      event: 'runNotStarted',
      tenantId: '*',
      error: 'e',
    });
    expect(fieldsOf(line)).toEqual({ event: 'runNotStarted', tenantId: '*', error: 'e' });
  });

  it('redacts a secret that reached an error message', () => {
    const line = eventLine('Renewal run failed', {
      event: 'runFinished',
      tenantId: '*',
      runId: 'r',
      outcome: 'failed',
      checked: 0,
      due: 0,
      renewed: 0,
      failed: 0,
      recreated: 0,
      expired: 0,
      skipped: 0,
      invalid: 0,
      deferred: 0,
      queued: 0,
      nextRunAt: '2026-02-18T08:00:00.000Z',
      error: 'connect failed for AccountName=a;AccountKey=c2VjcmV0;',
    });
    expect(line).not.toContain('c2VjcmV0');
    expect(fieldsOf(line).error).toBe('connect failed for AccountName=a;AccountKey=[redacted];');
  });
});
