// The keys a row can have are part of the stored subscription's contract (renewal/subscription.ts).
export { BAD_KEY, canBeKey } from '../renewal/subscription';
