import type { operations } from '@neonops/neon-client/openapi-types';

/** The JSON body Neon's document declares for an operation and status. */
export type ResponseBody<Op extends keyof operations, Status extends keyof operations[Op]['responses']> =
  operations[Op]['responses'][Status] extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON request body Neon's document declares for an operation. */
export type RequestBody<Op extends keyof operations> = operations[Op] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
