import type { FastifyInstance } from 'fastify';
import type { Simulation } from '../core.js';
import { checkName, databaseNameIssue } from '../behaviour/name-rules.js';
import { databaseCreateBody, databaseUpdateBody, parseBody } from '../http/bodies.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import type { ResponseBody } from '../http/types.js';
import { applyConfigOperations, createDatabaseRecord, requireBranch, requireMutableProject, requireProject } from '../state/mutations.js';

type BranchParams = { Params: { project_id: string; branch_id: string } };
type DatabaseParams = { Params: { project_id: string; branch_id: string; database_name: string } };

export function registerDatabaseRoutes(app: FastifyInstance, sim: Simulation): void {
  const base = '/projects/:project_id/branches/:branch_id/databases';

  app.get<BranchParams>(base, async (request) => {
    requireProject(sim, request.params.project_id);
    const branch = requireBranch(sim, request.params.project_id, request.params.branch_id);
    const body: ResponseBody<'listProjectBranchDatabases', 200> = {
      databases: sim.store.databasesOf(branch.id).map((d) => sim.serializer.database(d)),
    };
    return body;
  });

  app.get<DatabaseParams>(`${base}/:database_name`, async (request) => {
    requireProject(sim, request.params.project_id);
    const branch = requireBranch(sim, request.params.project_id, request.params.branch_id);
    const db = sim.store.liveDatabase(branch.id, request.params.database_name);
    if (!db) throw notFound('database');
    const body: ResponseBody<'getProjectBranchDatabase', 200> = { database: sim.serializer.database(db) };
    return body;
  });

  app.post<BranchParams>(base, async (request, reply) => {
    const input = parseBody(databaseCreateBody, request.body).database;
    checkName('database.name', input.name, databaseNameIssue);
    const project = requireMutableProject(sim, request.params.project_id);
    const branch = requireBranch(sim, project.id, request.params.branch_id);
    if (sim.store.liveDatabase(branch.id, input.name)) throw conflict('database already exists');
    if (!sim.store.liveRole(branch.id, input.owner_name)) throw badRequest(`role ${input.owner_name} does not exist`);
    const db = createDatabaseRecord(sim, branch, input.name, input.owner_name);
    const operations = sim.engine.schedule(project.id, applyConfigOperations(sim, branch));
    const body: ResponseBody<'createProjectBranchDatabase', 201> = {
      database: sim.serializer.database(db),
      operations: operations.map((o) => sim.serializer.operation(o)),
    };
    return reply.code(201).send(body);
  });

  app.patch<DatabaseParams>(`${base}/:database_name`, async (request) => {
    const input = parseBody(databaseUpdateBody, request.body).database;
    checkName('database.name', input.name, databaseNameIssue);
    const project = requireMutableProject(sim, request.params.project_id);
    const branch = requireBranch(sim, project.id, request.params.branch_id);
    const db = sim.store.liveDatabase(branch.id, request.params.database_name);
    if (!db) throw notFound('database');
    if (input.owner_name !== undefined && !sim.store.liveRole(branch.id, input.owner_name)) {
      throw badRequest(`role ${input.owner_name} does not exist`);
    }
    if (input.name !== undefined && input.name !== db.name) {
      if (sim.store.liveDatabase(branch.id, input.name)) throw conflict('database already exists');
      sim.store.databases.delete(`${branch.id}/${db.name}`);
      db.name = input.name;
      sim.store.databases.set(`${branch.id}/${db.name}`, db);
    }
    if (input.owner_name !== undefined) db.ownerName = input.owner_name;
    db.updatedAt = sim.now();
    const operations = sim.engine.schedule(project.id, applyConfigOperations(sim, branch));
    const body: ResponseBody<'updateProjectBranchDatabase', 200> = {
      database: sim.serializer.database(db),
      operations: operations.map((o) => sim.serializer.operation(o)),
    };
    return body;
  });

  app.delete<DatabaseParams>(`${base}/:database_name`, async (request, reply) => {
    const project = requireProject(sim, request.params.project_id);
    const branch = requireBranch(sim, project.id, request.params.branch_id);
    const db = sim.store.liveDatabase(branch.id, request.params.database_name);
    // Neon: 204 when the database does not exist or was already deleted.
    if (!db) return reply.code(204).send();
    requireMutableProject(sim, project.id);
    db.deletedAt = sim.now();
    db.updatedAt = db.deletedAt;
    const operations = sim.engine.schedule(project.id, applyConfigOperations(sim, branch));
    const body: ResponseBody<'deleteProjectBranchDatabase', 200> = {
      database: sim.serializer.database(db),
      operations: operations.map((o) => sim.serializer.operation(o)),
    };
    return body;
  });
}
