import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { afterEach, inject } from 'vitest';
import { InMemoryLearntMaxima } from '../support/fakes/inMemoryLearntMaxima';
import { InMemoryRunHistory } from '../support/fakes/inMemoryRunHistory';
import { realAdapters } from '../support/fakes/underTest';
import { describeRunHistoryContract } from './runHistory.contract';

describeRunHistoryContract('the in-memory fakes', async () => ({
  runs: new InMemoryRunHistory(),
  learntMaxima: new InMemoryLearntMaxima(),
}));

const made: TableClient[] = [];
afterEach(async () => {
  await Promise.allSettled(made.splice(0).map((client) => client.deleteTable()));
});

describeRunHistoryContract('the run-history table on Azurite', async () => {
  const { RunTable } = await realAdapters();
  const client = TableClient.fromConnectionString(
    inject('azuriteConnectionString'),
    `contractruns${randomBytes(4).toString('hex')}`,
    { allowInsecureConnection: true },
  );
  made.push(client);
  const runs = new RunTable(client);
  await runs.ensureExists();
  return { runs, learntMaxima: runs.learntMaxima() };
});
