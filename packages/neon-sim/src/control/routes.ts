import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Simulation } from '../core.js';
import { parseBody } from '../http/bodies.js';
import { faultRuleSchema, operationTimingSchema, rateLimitSchema } from '../options.js';
import { ClockNotManualError, SimControl } from './handles.js';

const faultsBody = z.union([z.array(faultRuleSchema), z.object({ rules: z.array(faultRuleSchema) })]);
const optionsBody = z.object({
  operations: operationTimingSchema.optional(),
  rateLimit: z.union([rateLimitSchema, z.literal(false)]).optional(),
  branchesPerProject: z.number().int().min(1).optional(),
  visibilityLagMs: z.number().int().min(0).optional(),
});
const seedBody = z.object({ seed: z.number().int().min(0).max(2 ** 32 - 1) });
const resetBody = z.object({ seed: z.number().int().min(0).max(2 ** 32 - 1).optional() });
const clockBody = z.union([z.object({ advanceMs: z.number().int().min(0) }).strict(), z.object({ to: z.iso.datetime({ offset: true }) }).strict()]);
const consumptionBody = z.object({ perBranch: z.boolean() }).strict();
const writeBody = z.object({ project_id: z.string(), branch_id: z.string().optional(), bytes: z.number().int().min(0) });

/** The control API under `/_sim` (no API key; loopback only). Documented in the README. */
export function registerControlRoutes(app: FastifyInstance, sim: Simulation): void {
  const control = new SimControl(sim);
  const rules = (body: unknown) => {
    const parsed = parseBody(faultsBody, body);
    return Array.isArray(parsed) ? parsed : parsed.rules;
  };

  app.get('/health', async () => ({ ok: true }));
  app.get('/counters', async () => control.counters());
  app.delete('/counters', async () => {
    control.resetCounters();
    return control.counters();
  });
  app.get('/state', async () => control.state());
  app.post('/reset', async (request) => {
    const body = parseBody(resetBody, request.body ?? {});
    control.reset(body.seed);
    return { ok: true, seed: control.seed };
  });
  app.get('/seed', async () => ({ seed: control.seed }));
  app.put('/seed', async (request) => {
    control.reset(parseBody(seedBody, request.body).seed);
    return { ok: true, seed: control.seed };
  });
  app.post('/fast-forward', async () => ({ finished: control.fastForward() }));
  app.get('/faults', async () => ({ rules: control.faults() }));
  app.put('/faults', async (request) => {
    control.setFaults(rules(request.body));
    return { rules: control.faults() };
  });
  app.post('/faults', async (request) => {
    control.addFaults(rules(request.body));
    return { rules: control.faults() };
  });
  app.delete('/faults', async () => {
    control.clearFaults();
    return { rules: control.faults() };
  });
  app.get('/options', async () => control.options());
  app.put('/options', async (request) => {
    const body = parseBody(optionsBody, request.body);
    if (body.operations) control.setOperationTiming(body.operations);
    if (body.rateLimit !== undefined) control.setRateLimit(body.rateLimit);
    if (body.branchesPerProject !== undefined) control.setBranchesPerProject(body.branchesPerProject);
    if (body.visibilityLagMs !== undefined) control.setVisibilityLag(body.visibilityLagMs);
    return control.options();
  });
  app.get('/clock', async () => control.clock());
  app.post('/clock', async (request, reply) => {
    const body = parseBody(clockBody, request.body);
    const to = 'to' in body ? Date.parse(body.to) : undefined;
    if (!control.clock().manual) return reply.code(409).send({ code: '', message: new ClockNotManualError().message, request_id: String(request.id) });
    if (to !== undefined && to < control.clock().epochMs) return reply.code(400).send({ code: '', message: 'a clock cannot go backwards', request_id: String(request.id) });
    return control.advanceClock(to === undefined ? { ms: 'advanceMs' in body ? body.advanceMs : 0 } : { to });
  });
  app.put('/consumption', async (request) => {
    const body = parseBody(consumptionBody, request.body);
    control.setPerBranchConsumption(body.perBranch);
    return { perBranch: sim.perBranchConsumption };
  });
  app.post('/writes', async (request, reply) => {
    const body = parseBody(writeBody, request.body);
    if (!sim.store.projects.has(body.project_id)) return reply.code(404).send({ code: '', message: 'project not found', request_id: String(request.id) });
    control.recordWrite(body.project_id, body.bytes, body.branch_id);
    return { ok: true };
  });
}
