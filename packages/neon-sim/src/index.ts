export { startNeonSimulator, type NeonSimulator } from './server.js';
export { buildSimulatorApp, type BuildAppOptions } from './app.js';
export { Simulation, type SimulationConfig } from './core.js';
export { ClockNotManualError, SimControl, type SimStateDump, type SimOptionsView } from './control/handles.js';
export { createManualClock, systemClock, type ManualClock, type SimClock } from './behaviour/clock.js';
export type { CountersSnapshot } from './behaviour/counters.js';
export type { ConsumptionMeter, Usage, StorageAt } from './behaviour/consumption.js';
export {
  DEFAULT_OPERATION_TIMING,
  DEFAULT_RATE_LIMIT,
  faultRuleSchema,
  type FaultRule,
  type NeonSimulatorOptions,
  type OperationTiming,
  type RateLimitOptions,
} from './options.js';
export { LOCKED_MESSAGE } from './http/errors.js';
export { databaseNameIssue, roleNameIssue, textNameIssue } from './behaviour/name-rules.js';
