import { describe, expect, it } from 'vitest';
import { TableStorageError } from '../../src/renewal/errors';
import { explainTableError } from '../../src/storage/tableStorageError';

// eslint-disable-next-line @typescript-eslint/no-base-to-string -- the tests pass text messages
const rest = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message ?? '')), fields);

describe('explainTableError', () => {
  it('names a missing table and says to provision it, keeping the status for the callers', () => {
    const error = explainTableError(
      rest({ statusCode: 404, code: 'TableNotFound', message: '{"odata.error":{"code":"TableNotFound"}}' }),
      'subscriptions',
    );
    expect(error).toBeInstanceOf(TableStorageError);
    expect(error).toMatchObject({
      statusCode: 404,
      tableMissing: true,
      message: expect.stringMatching(/^The table "subscriptions" does not exist .*azd provision/),
    });
  });

  it('tells a missing row from a missing table', () => {
    expect(
      explainTableError(
        rest({ statusCode: 404, code: 'ResourceNotFound', message: 'The specified resource does not exist.' }),
        't',
      ),
    ).toMatchObject({ statusCode: 404, tableMissing: false });
  });

  it('says the table service could not be reached when nothing answered', () => {
    expect(
      (
        explainTableError(
          rest({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:10002' }),
          'renewalruns',
        ) as Error
      ).message,
    ).toBe(
      'The table service holding "renewalruns" could not be reached (ECONNREFUSED): is the storage account up and reachable (Azurite running, locally)?',
    );
  });

  it('keeps a conflict a conflict (412), with the table named', () => {
    expect(
      explainTableError(
        rest({
          statusCode: 412,
          code: 'UpdateConditionNotSatisfied',
          message: 'The update condition specified in the request was not satisfied.',
        }),
        't',
      ),
    ).toMatchObject({
      statusCode: 412,
      message: 'Table "t": status 412, The update condition specified in the request was not satisfied.',
    });
  });

  it("leaves the identity's own error as it is", () => {
    const credential = Object.assign(new Error('ManagedIdentityCredential: no identity'), {
      name: 'CredentialUnavailableError',
    });
    expect(explainTableError(credential, 't')).toBe(credential);
  });
});
