import { verifyRequestOrigin } from 'lucia';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService, Principal } from '../auth/auth.service.ts';
import { SESSION_COOKIE } from '../auth/lucia.ts';
import type { Ctx } from '../context.ts';
import { AppError } from '../lib/errors.ts';
import type { HttpServer } from './server.ts';

/** Per-route auth settings, in `config.auth`. */
export interface RouteAuth {
  /** `none`: public (sign-up, login). `optional`: principal if present. Default `required`. */
  mode?: 'none' | 'optional' | 'required';
  /** Allowed while the TOTP step is still due (only the MFA and logout routes). */
  allowMfaPending?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sessionIdFrom(cookieHeader: string | undefined): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=') || null;
  }
  return null;
}

/**
 * Resolves the principal of every API request from the session cookie or a bearer API
 * token, then enforces the route's auth mode, the MFA step, token scopes, and — for
 * cookie-authenticated mutations — that the Origin is ours (CSRF).
 */
export function registerAuth(app: HttpServer, auth: AuthService, allowedHosts: string[]): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
    const principal = await auth.authenticate({ sessionId: sessionIdFrom(request.headers.cookie), bearer });
    request.principal = principal;
    if (principal?.refreshedCookie) reply.header('set-cookie', principal.refreshedCookie);

    const config = request.routeOptions.config?.auth ?? {};
    const mode = config.mode ?? 'required';
    if (mode === 'none') return;
    if (!principal) {
      if (mode === 'required') throw new AppError('unauthenticated', 'Sign in to continue.');
      return;
    }
    if (principal.mfaPending && !config.allowMfaPending)
      throw new AppError('mfa_required', 'Enter the code from your authenticator app to finish signing in.');
    const mutation = !SAFE_METHODS.has(request.method);
    if (principal.via === 'token' && mutation && !principal.scopes.includes('write'))
      throw new AppError('forbidden', 'This API token is read-only.');
    if (principal.via === 'session' && mutation) {
      const origin = request.headers.origin ?? request.headers.referer;
      if (!origin || !verifyRequestOrigin(origin, [request.headers.host ?? '', ...allowedHosts])) {
        throw new AppError('forbidden', 'Cross-site request refused (missing or foreign Origin).');
      }
    }
  });
}

/** The caller's domain context (throws when unauthenticated; routes with mode `required` never hit that). */
export function ctxOf(request: FastifyRequest): Ctx {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in to continue.');
  return { ...request.principal.ctx, requestId: request.id };
}

/** Request facts for audit records. */
export function metaOf(request: FastifyRequest): { ip: string; userAgent: string | null } {
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
}
