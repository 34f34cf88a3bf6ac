import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from './app-error.js';
import { badCharacterIn, findInputProblem, type InputProblem } from './input-check.js';

/** Query strings are flat (`a=1&a=2` at most an array); deeper means something odd. */
const MAX_QUERY_DEPTH = 4;

function pathProblem(rawPath: string): InputProblem | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { field: 'path', reason: 'is not valid percent-encoded UTF-8' };
  }
  const reason = badCharacterIn(decoded);
  return reason ? { field: 'path', reason } : undefined;
}

function refusal(problem: InputProblem): AppError {
  return new AppError('VALIDATION_FAILED', `${problem.field} ${problem.reason}.`, {
    fields: [{ field: problem.field, errors: [`${problem.field} ${problem.reason}`] }],
  });
}

/**
 * Runs after the JSON body parser, before routing: refuses (400 VALIDATION_FAILED naming
 * the field) a NUL or lone surrogate anywhere in the path, the query string or the JSON
 * body, and a JSON body nested deeper than `maxDepth()` (read per request, so a config
 * change applies at once). Nothing downstream then has to defend against them: deep
 * nesting would exhaust the stack of the DTO transformer, NUL is refused by PostgreSQL.
 */
export function inputGuardMiddleware(maxDepth: () => number): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const problem =
      pathProblem(req.path) ??
      findInputProblem(req.query, MAX_QUERY_DEPTH, 'query') ??
      (req.body === undefined ? undefined : findInputProblem(req.body, maxDepth()));
    next(problem ? refusal(problem) : undefined);
  };
}
