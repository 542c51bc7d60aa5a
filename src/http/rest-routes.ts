import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { parseInput } from '../core/validate.js';
import type { Operation, RestBinding } from '../operations/operation.js';
import { admit, scopeInput } from '../operations/run-operation.js';
import type { Services } from '../services/services.js';
import { downloadResponse } from './download.js';
import type { RouteDef, RouteInput } from './route.js';

const BODY_METHODS = new Set(['post', 'patch', 'put']);

/** The REST routes of the operations that have one: input parsed once, here, with the operation's schema. */
export function restRoutes(operations: readonly Operation[], services: Services, logger?: Logger): RouteDef[] {
  const routes: RouteDef[] = [];
  for (const op of operations) {
    const rest = op.rest as RestBinding<unknown, unknown> | undefined;
    if (!rest) continue;
    const from = rest.from ?? (BODY_METHODS.has(rest.method) ? 'body' : 'query');
    const paramKeys = Object.values(rest.params ?? {});
    // Documented without the keys the path fills (refinements do not change the documented shape).
    const docSchema = paramKeys.length
      ? z.strictObject(Object.fromEntries(Object.entries(op.input.shape).filter(([k]) => !paramKeys.includes(k))))
      : op.input;
    routes.push({
      method: rest.method,
      path: rest.path,
      operationId: rest.operationId,
      summary: op.description,
      tag: rest.tag,
      ...(from === 'query' ? { query: docSchema } : { body: docSchema }),
      ...(rest.textBody ? { textBody: rest.textBody.types } : {}),
      responses: rest.responses ?? { [rest.status ?? 200]: { description: op.title, schema: op.output } },
      handler: async (c, request) => {
        const context = { principal: request.principal, services };
        await admit(op, context);
        const input = await scopeInput(op, context, parseInput(op.input, inputOf(rest, from, request)));
        const download = await op.download?.(context, input);
        if (download) return downloadResponse(download, logger);
        const result = await op.run(context, input);
        return rest.respond ? rest.respond(c, result, input) : c.json(result as object, (rest.status ?? 200) as 200);
      },
    });
  }
  return routes;
}

/** Path parameters plus the body (or query); a body that names a path parameter is refused, not overridden. */
function inputOf(rest: RestBinding<unknown, unknown>, from: 'body' | 'query', request: RouteInput): unknown {
  let data: unknown = from === 'query' ? request.query : request.body;
  if (rest.textBody && request.text !== undefined) data = { ...request.query, [rest.textBody.key]: request.text };
  data ??= {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ValidationError(`Invalid input: ${from}: must be a JSON object`, [
      { field: from, message: 'must be a JSON object' },
    ]);
  }
  const params = rest.params ?? {};
  const record = data as Record<string, unknown>;
  const input: Record<string, unknown> = { ...record };
  for (const [param, key] of Object.entries(params)) {
    if (key in record) {
      throw new ValidationError(`Invalid input: ${key}: is not a known field`, [
        { field: key, message: 'is not a known field' },
      ]);
    }
    input[key] = request.params[param];
  }
  return input;
}
