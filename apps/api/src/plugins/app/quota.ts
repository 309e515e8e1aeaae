import { QuotaStore, type QuotaFinding, type QuotaFindingKind, type QuotaPolicy, type QuotaPolicyChange } from '@neonops/durable-store';
import fp from 'fastify-plugin';
import { DurableStoreNotConfiguredError } from '../../errors.js';
import { withDurable } from './budgets.js';

declare module 'fastify' {
  interface FastifyInstance {
    quota: QuotaService;
  }
}

/** Quota policies and findings as the routes use them (the worker's quota sweep writes the findings). */
export class QuotaService {
  constructor(private readonly store: QuotaStore | undefined) {}

  private get(): QuotaStore {
    if (!this.store) throw new DurableStoreNotConfiguredError('Quota policies and findings live in the durable store: set DATABASE_URL');
    return this.store;
  }

  getPolicy(teamId: string): Promise<QuotaPolicy> {
    const store = this.get();
    return withDurable(() => store.getPolicy(teamId));
  }

  putPolicy(input: { teamId: string } & QuotaPolicyChange): Promise<QuotaPolicy> {
    const store = this.get();
    return withDurable(() => store.putPolicy(input));
  }

  findings(teamId: string, query: { open?: boolean; kind?: QuotaFindingKind; cursor?: string; limit?: number }): Promise<{ items: QuotaFinding[]; nextCursor?: string }> {
    const store = this.get();
    return withDurable(() => store.list(teamId, query));
  }
}

export default fp<{ now: () => Date }>(
  async (fastify, options) => {
    const database = fastify.durableDatabase;
    fastify.decorate('quota', new QuotaService(database ? new QuotaStore(database, options.now) : undefined));
  },
  { name: 'quota', dependencies: ['durable-store'] },
);
