import { describe, expect, it } from 'vitest';
import { tablesAllowInsecureConnection } from '../../src/config';

const connection = (connectionString: string) =>
  tablesAllowInsecureConnection({ kind: 'connectionString', connectionString });

describe('whether the table client may use http', () => {
  it("allows it for Azurite's shorthand", () => expect(connection('UseDevelopmentStorage=true')).toBe(true));
  it('allows it for a loopback table endpoint', () => {
    expect(
      connection(
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;',
      ),
    ).toBe(true);
  });
  it('refuses it for an http endpoint that leaves the machine', () => {
    expect(connection('AccountName=acct;AccountKey=a2V5;TableEndpoint=http://acct.table.core.windows.net;')).toBe(
      false,
    );
  });
  it('refuses it for an account reached by its https endpoints', () =>
    expect(connection('AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net')).toBe(false));
  it('follows the scheme of an identity-based endpoint', () => {
    expect(
      tablesAllowInsecureConnection({ kind: 'endpoint', endpoint: 'http://127.0.0.1:10002/devstoreaccount1' }),
    ).toBe(true);
    expect(tablesAllowInsecureConnection({ kind: 'endpoint', endpoint: 'https://acct.table.core.windows.net' })).toBe(
      false,
    );
  });
});
