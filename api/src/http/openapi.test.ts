import { compileErrors, validate } from '@readme/openapi-parser';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes } from '../lib/errors.ts';
import { ApiHarness } from '../testing/api-harness.ts';

type Operation = OpenAPIV3_1.OperationObject;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** `/tickets/:id` → `/api/v1/tickets/{id}` */
const docPath = (path: string) => `/api/v1${path.replace(/:(\w+)/g, '{$1}')}`;

describe('the OpenAPI document', () => {
  let h: ApiHarness;
  let doc: OpenAPIV3_1.Document;

  beforeAll(async () => {
    h = await ApiHarness.start({ label: 'openapi' });
    const response = await h.request(null, { method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    doc = response.json() as OpenAPIV3_1.Document;
  });
  afterAll(async () => {
    await h.close();
  });

  it('is a valid OpenAPI 3.1 document (checked by @readme/openapi-parser)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(result.specification).toBe('OpenAPI');
  });

  it('documents every route the app registered, and nothing else', () => {
    const routes = h.routes.filter((r) => !r.hidden);
    expect(routes.length).toBeGreaterThan(40);
    const missing = routes.filter((r) => !doc.paths?.[docPath(r.path)]?.[r.method.toLowerCase() as 'get']).map((r) => r.key);
    expect(missing).toEqual([]);
    const registered = new Set(routes.map((r) => `${r.method.toLowerCase()} ${docPath(r.path)}`));
    const documented = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
      METHODS.filter((m) => item?.[m]).map((m) => `${m} ${path}`),
    );
    expect(documented.filter((op) => !registered.has(op))).toEqual([]);
  });

  it('hides only its own document and the docs page', () => {
    const hidden = h.routes.filter((r) => r.hidden).map((r) => r.path);
    expect(hidden).toContain('/openapi.json');
    expect(hidden.filter((path) => path !== '/openapi.json' && !path.startsWith('/docs'))).toEqual([]);
  });

  it('describes every operation: summary, tag, parameters, body, success and error responses in the one error shape', () => {
    const codes = Object.keys(errorCodes).sort();
    for (const route of h.routes.filter((r) => !r.hidden)) {
      const operation = doc.paths![docPath(route.path)]![route.method.toLowerCase() as 'get'] as Operation;
      expect(operation.summary, route.key).toBeTruthy();
      expect(operation.tags?.length, route.key).toBeGreaterThan(0);
      const pathParams = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      const documentedParams = ((operation.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).filter((p) => p.in === 'path');
      expect(documentedParams.map((p) => p.name).sort(), route.key).toEqual(pathParams.sort());
      expect(
        documentedParams.every((p) => p.required),
        route.key,
      ).toBe(true);
      const responses = operation.responses as Record<string, OpenAPIV3_1.ResponseObject>;
      expect(
        Object.keys(responses).some((status) => status.startsWith('2')),
        route.key,
      ).toBe(true);
      for (const status of ['400', '401', '403', '404', '409', '429']) {
        const schema = responses[status]?.content?.['application/json']?.schema as OpenAPIV3_1.SchemaObject | undefined;
        const error = schema?.properties?.error as OpenAPIV3_1.SchemaObject | undefined;
        expect(error?.required?.slice().sort(), `${route.key} ${status}`).toEqual(['code', 'message', 'request_id']);
        expect(((error?.properties?.code as OpenAPIV3_1.SchemaObject).enum as string[]).slice().sort()).toEqual(codes);
      }
      if (['POST', 'PUT', 'PATCH'].includes(route.method) && operation.requestBody) {
        const body = (operation.requestBody as OpenAPIV3_1.RequestBodyObject).content['application/json']
          ?.schema as OpenAPIV3_1.SchemaObject;
        expect(body.additionalProperties, `${route.key} accepts unknown fields`).toBe(false);
      }
    }
  });

  it('declares both ways to authenticate', () => {
    expect(doc.components?.securitySchemes).toEqual({
      session: { type: 'apiKey', in: 'cookie', name: 'sb_session' },
      token: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
  });

  it('serves a docs page built from the same document', async () => {
    const page = await h.request(null, { method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect((await h.request(null, { method: 'GET', url: '/docs/json' })).json()).toEqual(doc);
  });
});
