/** Requests seen on `/api/v2`, by `METHOD /template` and by status (or `reset` / `lost-response`). */
export interface CountersSnapshot {
  total: number;
  byRoute: Record<string, Record<string, number>>;
  byStatus: Record<string, number>;
}

export class Counters {
  private total = 0;
  private byRoute: Record<string, Record<string, number>> = {};
  private byStatus: Record<string, number> = {};

  record(route: string, status: number | 'reset' | 'lost-response'): void {
    const key = String(status);
    this.total++;
    const perRoute = (this.byRoute[route] ??= {});
    perRoute[key] = (perRoute[key] ?? 0) + 1;
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
  }

  snapshot(): CountersSnapshot {
    return structuredClone({ total: this.total, byRoute: this.byRoute, byStatus: this.byStatus });
  }

  clear(): void {
    this.total = 0;
    this.byRoute = {};
    this.byStatus = {};
  }
}
