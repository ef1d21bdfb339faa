import type { LearntMaxima } from '../../../src/renewal/ports';
import { ScriptedFailures } from './scriptedFailures';
import type { LearntMaximum } from './underTest';

/** The maxima Graph stated, in memory: one per kind, the last saved wins (an upsert, as on the table). */
export class InMemoryLearntMaxima implements LearntMaxima {
  readonly saved = new Map<string, LearntMaximum>();
  readonly failures = new ScriptedFailures<keyof LearntMaxima>();

  async load(): Promise<LearntMaximum[]> {
    this.failures.throwIfScripted('load');
    return [...this.saved.values()].map((maximum) => ({ ...maximum }));
  }

  async save(maximum: LearntMaximum): Promise<void> {
    this.failures.throwIfScripted('save');
    this.saved.set(maximum.key, { ...maximum });
  }
}
