import {
  costOf,
  cuHoursOf,
  DEFAULT_PRICES,
  forecastMonth,
  IntentHistory,
  monthBounds,
  monthOf,
  monthToDateSpend,
  UsageStore,
  type Cost,
  type Forecast,
  type PreviewOfBranch,
  type PriceTable,
  type UsageBucket,
  type UsageGranularity,
  type UsageMetrics,
} from '@neonops/durable-store';
import fp from 'fastify-plugin';
import { DurableStoreNotConfiguredError, InvalidCursorError, InvalidRangeError } from '../../errors.js';
import { withDurable } from './budgets.js';

declare module 'fastify' {
  interface FastifyInstance {
    usageReports: UsageReports;
  }
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Longest range per granularity: bounds what one request aggregates. */
export const MAX_RANGE_DAYS: Record<UsageGranularity, number> = { hourly: 31, daily: 366, monthly: 366 * 5 };

export interface UsageQuery {
  teamId: string;
  from: string;
  to: string;
  granularity: UsageGranularity;
  groupBy: 'project' | 'branch';
  cursor?: string | undefined;
  limit: number;
}

export interface UsageItem {
  start: string;
  projectId: string;
  branchId?: string;
  /** The pull request the branch is a preview of (branch items only). */
  preview?: PreviewOfBranch;
  metrics: UsageMetrics;
  cuHours: number;
}
export interface UsagePage {
  teamId: string;
  from: string;
  to: string;
  granularity: UsageGranularity;
  groupBy: 'project' | 'branch';
  items: UsageItem[];
  nextCursor?: string;
}
export interface CostPage extends Omit<UsagePage, 'items'> {
  currency: 'USD';
  items: Array<UsageItem & { cost: Cost }>;
  /** The current month's forecast, when the range reaches into the current month. */
  forecast?: { month: string; monthToDate: number; cuHoursToDate: number } & Forecast;
}

/** Checks a range: valid times, on the hour (the stored grain), from < to, not longer than the granularity allows. */
export function checkRange(fromRaw: string, toRaw: string, granularity: UsageGranularity): { from: Date; to: Date } {
  const from = new Date(fromRaw);
  const to = new Date(toRaw);
  if (from.getTime() % HOUR_MS !== 0 || to.getTime() % HOUR_MS !== 0) throw new InvalidRangeError('from and to must be on the hour (usage is stored per hour)');
  if (to <= from) throw new InvalidRangeError('from must be before to');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS[granularity] * DAY_MS) {
    throw new InvalidRangeError(`a ${granularity} range spans at most ${MAX_RANGE_DAYS[granularity]} days`);
  }
  return { from, to };
}

const encodeCursor = (bucket: UsageBucket) => Buffer.from(JSON.stringify({ b: bucket.bucket, k: bucket.key }), 'utf8').toString('base64url');
function decodeCursor(cursor: string): { bucket: string; key: string } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'b' in parsed && 'k' in parsed && typeof parsed.b === 'string' && typeof parsed.k === 'string' && !Number.isNaN(Date.parse(parsed.b))) {
      return { bucket: parsed.b, key: parsed.k };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new InvalidCursorError('Pass nextCursor from the previous page, with the same query');
}

/** Usage and costs of a team, read from the durable store the workers' collection fills. */
export class UsageReports {
  constructor(private readonly deps: { store: UsageStore | undefined; history?: IntentHistory | undefined; prices: PriceTable; now: () => Date }) {}

  private store(): UsageStore {
    if (!this.deps.store) throw new DurableStoreNotConfiguredError('Usage lives in the durable store: set DATABASE_URL');
    return this.deps.store;
  }

  get prices(): PriceTable {
    return this.deps.prices;
  }

  async usage(query: UsageQuery): Promise<UsagePage> {
    const { from, to } = checkRange(query.from, query.to, query.granularity);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const store = this.store();
    // One more than asked: whether there is a next page.
    const buckets = await withDurable(() =>
      store.aggregate({ from, to, granularity: query.granularity, groupBy: query.groupBy, teamId: query.teamId, limit: query.limit + 1, ...(after ? { after } : {}) }),
    );
    const page = buckets.slice(0, query.limit);
    const last = page.at(-1);
    // Preview branches are named by the source and pull request they were made for (the history of their preview.ensure).
    const history = this.deps.history;
    const previews =
      query.groupBy === 'branch' && history
        ? await withDurable(() => history.previewsOfBranches(query.teamId, page.flatMap((b) => (b.branchId ? [b.branchId] : []))))
        : new Map<string, PreviewOfBranch>();
    return {
      teamId: query.teamId,
      from: from.toISOString(),
      to: to.toISOString(),
      granularity: query.granularity,
      groupBy: query.groupBy,
      items: page.map((b) => ({
        start: b.bucket,
        projectId: b.projectId ?? '',
        ...(query.groupBy === 'branch' ? { branchId: b.branchId ?? '' } : {}),
        ...(b.branchId && previews.has(b.branchId) ? { preview: previews.get(b.branchId)! } : {}),
        metrics: b.metrics,
        cuHours: cuHoursOf(b.metrics),
      })),
      ...(buckets.length > query.limit && last ? { nextCursor: encodeCursor(last) } : {}),
    };
  }

  async costs(query: UsageQuery): Promise<CostPage> {
    const page = await this.usage(query);
    const now = this.deps.now();
    const month = monthOf(now);
    const bounds = monthBounds(month);
    const reaches = new Date(page.from) < bounds.to && new Date(page.to) > bounds.from;
    let forecast: CostPage['forecast'];
    if (reaches) {
      const store = this.store();
      const spend = await withDurable(() => monthToDateSpend(store, this.deps.prices, { teamId: query.teamId, month, at: now }));
      forecast = { month, monthToDate: spend.cost.total, cuHoursToDate: spend.cuHours, ...forecastMonth(spend.cost.total, month, now) };
    }
    return {
      ...page,
      currency: this.deps.prices.currency,
      items: page.items.map((item) => ({ ...item, cost: costOf(item.metrics, this.deps.prices) })),
      ...(forecast ? { forecast } : {}),
    };
  }
}

export interface UsagePluginOptions {
  /** The price table (`USAGE_PRICES`). Default `DEFAULT_PRICES`. */
  prices?: PriceTable;
  now: () => Date;
}

/** `fastify.usageReports` (app tier): needs the durable store plugin. */
export default fp<UsagePluginOptions>(
  async (fastify, options) => {
    const database = fastify.durableDatabase;
    fastify.decorate(
      'usageReports',
      new UsageReports({
        store: database ? new UsageStore(database) : undefined,
        history: database ? new IntentHistory(database) : undefined,
        prices: options.prices ?? DEFAULT_PRICES,
        now: options.now,
      }),
    );
  },
  { name: 'usage-reports', dependencies: ['durable-store'] },
);
