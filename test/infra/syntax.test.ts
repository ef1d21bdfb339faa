import { describe, expect, it } from 'vitest';
import { bicepFiles, bicepSyntaxErrors, readRepoFile } from '../support/bicep';

describe('Bicep syntax (tree-sitter-bicep; no Bicep compiler installs offline)', () => {
  it.each(bicepFiles())('%s parses without errors', async (file) => {
    expect(await bicepSyntaxErrors(readRepoFile(file))).toEqual([]);
  });

  it('checks the multi-tenant app registration module too', () => {
    expect(bicepFiles()).toContain('infra/app/multitenant-app.bicep');
  });

  it('the checker does catch a broken file', async () => {
    const errors = await bicepSyntaxErrors(
      "param name string =\nresource site 'Microsoft.Web/sites@2024-04-01' = {\n  name: \n",
    );
    expect(errors.length).toBeGreaterThan(0);
  });
});
