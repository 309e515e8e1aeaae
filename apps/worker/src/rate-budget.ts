// The shared Neon rate budget moved to @neonops/intents (the API's read-through routes take
// from it too); this path stays for the worker's imports.
export { RateBudgetAbortedError, RateBudgetTimeoutError, RedisRateBudget, type RedisRateBudgetOptions } from '@neonops/intents';
