/**
 * The typed face of the request core: a route must be a path of the OpenAPI
 * document and the method one it defines; path params, query and body are
 * checked against the generated types, and the result is the documented
 * success body.
 */
import type { BodyOf, HttpMethod, NeonPath, PathParamsOf, QueryOf, ResultOf, paths } from '../types.js';
import type { CallOptions } from './options.js';
import type { RequestCore, RequestSpec } from './request.js';
import type { QueryValue } from './url.js';

/** Methods the document defines for path `P`. */
export type DefinedMethods<P extends NeonPath> = {
  [M in HttpMethod]: [NonNullable<paths[P][M]>] extends [never] ? never : M;
}[HttpMethod];

/** Arguments of one typed call. */
export interface TypedArgs<P extends NeonPath, M extends HttpMethod> {
  path?: PathParamsOf<P, M>;
  query?: QueryOf<P, M>;
  body?: BodyOf<P, M>;
}

export type TypedCall = <P extends NeonPath, M extends DefinedMethods<P>>(
  method: M,
  route: P,
  args: TypedArgs<P, M>,
  options?: CallOptions,
) => Promise<ResultOf<P, M>>;

export function createTypedCall(core: RequestCore): TypedCall {
  return async (method, route, args, options) => {
    const spec: RequestSpec = {
      method: method.toUpperCase() as RequestSpec['method'],
      route,
      ...(args.path === undefined ? {} : { pathParams: args.path as Readonly<Record<string, string | number>> }),
      ...(args.query === undefined ? {} : { query: args.query as Readonly<Record<string, QueryValue>> }),
      ...(args.body === undefined ? {} : { body: args.body }),
    };
    // The server is trusted to answer as documented; the conformance tests
    // check what we send against the same document.
    return (await core.request(spec, options)) as ResultOf<typeof route, typeof method>;
  };
}
