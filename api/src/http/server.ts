import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { isDatabaseUnavailable } from '../db/connection.ts';
import { AppError, errorBody, errorCodes, type ErrorCode } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';

/** The Fastify instance type used across Switchboard, with zod schemas on routes. */
export type HttpServer = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, ZodTypeProvider>;

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a URL or headers past
 * `maxHeaderSize`, malformed HTTP): answered in the error shape too, then closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const requestId = randomUUID();
  const body = JSON.stringify(
    tooLarge
      ? errorBody('headers_too_large', 'The URL or the request headers are too large.', requestId)
      : errorBody('bad_request', 'The request is not valid HTTP.', requestId),
  );
  const status = tooLarge ? 431 : 400;
  logger.debug({ err: error }, 'refused a request the HTTP parser could not take');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Options for {@link createHttpServer}. */
export interface HttpServerOptions {
  logger: Logger;
  bodyLimit: number;
  /** Trust X-Forwarded-* from a reverse proxy (production behind a load balancer). */
  trustProxy?: boolean;
  /** Lets the process entry put a path router in front of Fastify (see infra/src/server). */
  serverFactory?: (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server;
}

/**
 * The process's HTTP server: request ids (an incoming X-Request-Id is kept when sane),
 * zod validation, and the one error shape `{error:{code,message,details,request_id}}`
 * for every failure, including 404s and malformed JSON.
 */
export function createHttpServer({ logger, bodyLimit, trustProxy = false, serverFactory }: HttpServerOptions): HttpServer {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit,
    trustProxy,
    ...(serverFactory ? { serverFactory } : {}),
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    forceCloseConnections: 'idle',
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket, logger),
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (error instanceof AppError) {
      if (error.isReportable) request.log.error({ err: error }, error.message);
      return reply.status(error.status).send(errorBody(error.code, error.message, request.id, error.details));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = error.validation.map((v) => ({ path: v.instancePath || '/', message: v.message, where: error.validationContext }));
      return reply.status(400).send(errorBody('validation_failed', 'The request is not valid.', request.id, details));
    }
    // A backing service that is away (MongoDB, or Redis past ioredis's retries) is an outage
    // the client should retry, not a bug: 503 in the usual shape.
    if (isDatabaseUnavailable(error) || (error instanceof Error && error.name === 'MaxRetriesPerRequestError')) {
      request.log.error({ err: error }, 'a backing service is unavailable');
      return reply
        .status(503)
        .send(errorBody('unavailable', 'A service this request needs is unavailable right now; try again shortly.', request.id));
    }
    const fastifyError = error as FastifyError;
    const status = fastifyError.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unhandled error');
      return reply.status(500).send(errorBody('internal', 'Something went wrong on our side.', request.id));
    }
    const code: ErrorCode =
      status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : status === 429
            ? 'rate_limited'
            : status === 404
              ? 'not_found'
              : 'bad_request';
    return reply.status(errorCodes[code].status === status ? status : 400).send(errorBody(code, fastifyError.message, request.id));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`, request.id));
  });

  return app as unknown as HttpServer;
}
