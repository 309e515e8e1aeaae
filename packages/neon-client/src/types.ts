/**
 * Types derived from the generated OpenAPI types (src/generated/neon-api.ts).
 * Nothing here is hand-written against the API: every request and response
 * shape is looked up in `paths` / `components`, so regenerating the types is
 * enough to follow Neon's document.
 */
import type { components, paths } from './generated/neon-api.js';

export type { components, paths, operations } from './generated/neon-api.js';

type Schemas = components['schemas'];

/** A path template of the Neon API v2, e.g. `/projects/{project_id}/branches`. */
export type NeonPath = keyof paths;
/** Lower-case HTTP method as used by openapi-typescript. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The operation object for `method` on `path` (never when the document has none). */
export type OperationOf<P extends NeonPath, M extends HttpMethod> = NonNullable<paths[P][M]>;

/** Methods the document defines for a path. */
export type MethodsOf<P extends NeonPath> = {
  [M in HttpMethod]: paths[P][M] extends undefined | never ? never : [NonNullable<paths[P][M]>] extends [never] ? never : M;
}[HttpMethod];

/** Path parameters of an operation. */
export type PathParamsOf<P extends NeonPath, M extends HttpMethod> =
  OperationOf<P, M> extends { parameters: { path: infer T } } ? T : never;

/** Query parameters of an operation (never when it declares none). */
export type QueryOf<P extends NeonPath, M extends HttpMethod> =
  OperationOf<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** JSON request body of an operation (never when it takes none). */
export type BodyOf<P extends NeonPath, M extends HttpMethod> =
  OperationOf<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

type ResponsesOf<P extends NeonPath, M extends HttpMethod> =
  OperationOf<P, M> extends { responses: infer R } ? R : never;

type JsonContent<R> = R extends { content: { 'application/json': infer B } } ? B : never;

/**
 * The parsed body of a successful response: the JSON of 200/201/202, plus
 * `undefined` when the document allows a bodiless 204 (e.g. deleting something
 * that is already gone).
 */
export type ResultOf<P extends NeonPath, M extends HttpMethod> =
  | JsonContent<ResponsesOf<P, M>[Extract<keyof ResponsesOf<P, M>, 200 | 201 | 202>]>
  | (204 extends keyof ResponsesOf<P, M> ? undefined : never);

// Useful schema aliases (all straight from components['schemas']).
export type Project = Schemas['Project'];
export type ProjectListItem = Schemas['ProjectListItem'];
export type Branch = Schemas['Branch'];
export type Endpoint = Schemas['Endpoint'];
export type Operation = Schemas['Operation'];
export type OperationStatus = Schemas['OperationStatus'];
export type OperationAction = Schemas['OperationAction'];
export type Database = Schemas['Database'];
export type Role = Schemas['Role'];
export type ApiKeysListResponseItem = Schemas['ApiKeysListResponseItem'];
export type ApiKeyCreateResponse = Schemas['ApiKeyCreateResponse'];
export type ApiKeyRevokeResponse = Schemas['ApiKeyRevokeResponse'];
export type ConnectionDetails = Schemas['ConnectionDetails'];
export type ConnectionURIResponse = Schemas['ConnectionURIResponse'];
export type GeneralError = Schemas['GeneralError'];
export type BranchOperations = Schemas['BranchOperations'];
export type EndpointOperations = Schemas['EndpointOperations'];
export type DatabaseOperations = Schemas['DatabaseOperations'];
export type RoleOperations = Schemas['RoleOperations'];
export type EndpointType = Schemas['EndpointType'];
