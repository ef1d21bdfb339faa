import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a received client state with ours in constant time: the time taken says nothing about
 * how much of a guess was right. Hashing first gives both sides the same length.
 */
export function sameSecret(received: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(received), digest(expected));
}
