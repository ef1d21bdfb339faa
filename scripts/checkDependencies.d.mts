// Types of scripts/checkDependencies.mjs, for test/unit/dependencyRules.test.ts.
export interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}
export interface Violation {
  from: string;
  to: string;
  rule: string;
}
export function checkDependencies(files: Map<string, string>): {
  files: number;
  edges: Edge[];
  violations: Violation[];
};
export function importsOf(fileName: string, text: string): { specifier: string; typeOnly: boolean }[];
export function areaOf(file: string): string | undefined;
export function readTree(dir: string): Map<string, string>;
export const DOMAIN_TYPES: string[];
