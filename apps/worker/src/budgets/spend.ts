import { monthToDateSpend, type BudgetPeriod, type BudgetUnit, type PriceTable, type UsageStore } from '@neonops/durable-store';

/**
 * A team's month-to-date spend, in a budget's unit. The watch depends on this interface
 * only; `usageSpend` is the deployment's (the stored usage priced with the price table).
 */
export interface SpendSource {
  /** What `teamId` has used from `period.start` up to `until` (at most `period.end`), in `unit`. */
  monthToDate(teamId: string, period: BudgetPeriod, unit: BudgetUnit, until: Date): Promise<number>;
}

/**
 * Spend from the usage the collector stored (`usage_hourly`, attributed to teams): money is
 * its cost at `prices` (`monthToDateSpend`), CU-hours its compute time. Usage arrives with
 * the hourly collection, so a crossing is seen at the first watch tick after the hour that
 * crossed it was collected.
 */
export function usageSpend(usage: UsageStore, prices: PriceTable): SpendSource {
  return {
    async monthToDate(teamId, period, unit, until) {
      const spend = await monthToDateSpend(usage, prices, { teamId, month: period.id, at: until });
      return unit === 'usd' ? spend.cost.total : spend.cuHours;
    },
  };
}
