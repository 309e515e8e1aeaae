/**
 * An error the simulator answers with `{ code, message, request_id }`. `code` is usually empty,
 * as it is in Neon's answers; clients branch on the status.
 */
export class SimHttpError extends Error {
  override readonly name = 'SimHttpError';

  constructor(
    readonly status: number,
    message: string,
    readonly code: string = '',
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Neon's text for the 423 answer while a project has operations that are not terminal. */
export const LOCKED_MESSAGE = 'project already has running conflicting operations, scheduling of new ones is prohibited';

export const notFound = (what: string): SimHttpError => new SimHttpError(404, `${what} not found`);
export const badRequest = (message: string): SimHttpError => new SimHttpError(400, message);
export const conflict = (message: string): SimHttpError => new SimHttpError(409, message);
export const unprocessable = (message: string): SimHttpError => new SimHttpError(422, message);
export const locked = (): SimHttpError => new SimHttpError(423, LOCKED_MESSAGE);
