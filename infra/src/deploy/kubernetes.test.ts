import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensurePythonTool } from '../services/python-tools.ts';
import { parseEnv } from '@switchboard/api/lib/config';
import { ENV_SCHEMAS, allEnvVars, k8sDir, k8sManifestFiles, loadK8s, runTool, type K8sObject } from './manifests.ts';

/** The Kubernetes release the manifests are validated against (the newest kubernetes-validate bundles). */
const KUBERNETES_VERSION = '1.37.0';

interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: Array<{ name: string; emptyDir?: unknown }>;
}
interface DeploymentSpec {
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

const objects = loadK8s();
const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
const deployments = ofKind('Deployment').map((d) => ({ ...d, spec: d.spec as unknown as DeploymentSpec }));
const configMap = ofKind('ConfigMap')[0]!;
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** How long a preStop hook holds the pod before SIGTERM, in ms. */
function preStopMs(container: Container): number {
  const hook = container.lifecycle?.preStop;
  if (hook?.sleep) return hook.sleep.seconds * 1000;
  const command = hook?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) * 1000 : 0;
}

describe('Kubernetes manifests', () => {
  let validator: string;
  beforeAll(async () => {
    validator = await ensurePythonTool('kubernetes-validate', (line) => console.log(`[deploy] ${line}`));
  }, 600_000);

  it(`validate strictly against the Kubernetes ${KUBERNETES_VERSION} schemas (kubernetes-validate, offline)`, () => {
    const files = k8sManifestFiles().map((file) => path.join(k8sDir, file));
    const result = runTool(validator, ['--strict', '--no-warn', '--quiet', '-k', KUBERNETES_VERSION, ...files]);
    expect(result.output.trim(), result.output).toBe('');
    expect(result.status, result.output).toBe(0);
  });

  it('are all listed in kustomization.yaml, except the Secret example', () => {
    const kustomization = parse(fs.readFileSync(path.join(k8sDir, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
      namespace: string;
    };
    expect([...kustomization.resources].sort()).toEqual(k8sManifestFiles().filter((f) => f !== 'secret.example.yaml'));
    for (const object of objects) {
      if (object.kind !== 'Namespace')
        expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(kustomization.namespace);
    }
  });

  it('deploy api, realtime, workers and web, each running its own service', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['api', 'realtime', 'web', 'workers']);
    for (const deployment of deployments) {
      const [container] = deployment.spec.template.spec.containers;
      expect(container!.args, deployment.metadata.name).toEqual([`--services=${deployment.metadata.name}`]);
      expect(matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
      const sources = (container!.envFrom ?? []).map((s) => s.configMapRef?.name ?? s.secretRef?.name);
      expect(sources, deployment.metadata.name).toEqual(['switchboard-config', 'switchboard-secrets']);
    }
  });

  it('probe every container on /health/*: startup and liveness on live, readiness on ready, at a declared port', () => {
    for (const deployment of deployments) {
      for (const container of deployment.spec.template.spec.containers) {
        const where = `${deployment.metadata.name}/${container.name}`;
        expect(container.startupProbe?.httpGet?.path, `${where} startupProbe`).toBe('/health/live');
        expect(container.livenessProbe?.httpGet?.path, `${where} livenessProbe`).toBe('/health/live');
        expect(container.readinessProbe?.httpGet?.path, `${where} readinessProbe`).toBe('/health/ready');
        const ports = (container.ports ?? []).flatMap((p) => [p.name, p.containerPort]);
        for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
          expect(ports, `${where} probes a port it declares`).toContain(probe!.httpGet!.port);
        }
      }
    }
  });

  it('run non-root, without privilege escalation, on a read-only root file system with a writable /tmp', () => {
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      for (const container of pod.containers) {
        const where = `${deployment.metadata.name}/${container.name}`;
        expect(container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, `${where} runAsNonRoot`).toBe(true);
        const uid = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
        expect(uid, `${where} runs as a numeric non-root user`).toBeGreaterThan(0);
        expect(container.securityContext?.allowPrivilegeEscalation, where).toBe(false);
        expect(container.securityContext?.readOnlyRootFilesystem, where).toBe(true);
        expect(container.securityContext?.capabilities?.drop, where).toContain('ALL');
        const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
        expect(tmp, `${where} needs a writable /tmp (tsx's cache)`).toBeDefined();
        expect(pod.volumes?.find((v) => v.name === tmp!.name)?.emptyDir, where).toBeDefined();
      }
    }
  });

  it('give every pod time to drain: terminationGracePeriodSeconds covers the preStop pause plus SHUTDOWN_TIMEOUT_MS', () => {
    const shutdownMs = Number(configMap.data?.SHUTDOWN_TIMEOUT_MS);
    expect(shutdownMs).toBeGreaterThan(0);
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      for (const container of pod.containers) {
        expect(container.lifecycle?.preStop, `${deployment.metadata.name} preStop`).toBeDefined();
        const graceMs = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
        expect(graceMs, `${deployment.metadata.name} terminationGracePeriodSeconds`).toBeGreaterThan(preStopMs(container) + shutdownMs);
      }
    }
  });

  it('set resource requests and memory limits on every container', () => {
    for (const deployment of deployments) {
      for (const container of deployment.spec.template.spec.containers) {
        expect(container.resources?.requests?.cpu, deployment.metadata.name).toBeDefined();
        expect(container.resources?.requests?.memory, deployment.metadata.name).toBeDefined();
        expect(container.resources?.limits?.memory, deployment.metadata.name).toBeDefined();
      }
    }
  });

  it('autoscale api, realtime and workers, and protect every deployment with a disruption budget', () => {
    const scaled = ofKind('HorizontalPodAutoscaler').map(
      (h) => (h.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef,
    );
    for (const name of ['api', 'realtime', 'workers']) expect(scaled).toContainEqual(expect.objectContaining({ kind: 'Deployment', name }));
    const budgets = ofKind('PodDisruptionBudget').map(
      (p) => (p.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
    );
    for (const deployment of deployments) {
      const covered = budgets.filter((selector) => matches(selector, deployment.spec.template.metadata.labels));
      expect(covered, `${deployment.metadata.name} has exactly one PodDisruptionBudget`).toHaveLength(1);
    }
  });

  it('route /socket.io/ to the hub port with websocket timeouts and an affinity cookie, /api/ and /health/ to api, the rest to web', () => {
    const services = new Map(ofKind('Service').map((s) => [s.metadata.name, s]));
    const routes = new Map<string, { ingress: K8sObject; service: string; port: string }>();
    for (const ingress of ofKind('Ingress')) {
      const spec = ingress.spec as {
        rules: Array<{ http: { paths: Array<{ path: string; backend: { service: { name: string; port: { name: string } } } }> } }>;
      };
      for (const rule of spec.rules) {
        for (const p of rule.http.paths)
          routes.set(p.path, { ingress, service: p.backend.service.name, port: p.backend.service.port.name });
      }
    }
    expect(routes.get('/socket.io/')).toMatchObject({ service: 'realtime', port: 'hub' });
    expect(routes.get('/api/')).toMatchObject({ service: 'api', port: 'http' });
    expect(routes.get('/health/')).toMatchObject({ service: 'api', port: 'http' });
    expect(routes.get('/')).toMatchObject({ service: 'web', port: 'http' });
    for (const [, route] of routes) {
      const ports = (services.get(route.service)?.spec as { ports: Array<{ name: string }> } | undefined)?.ports.map((p) => p.name);
      expect(ports, `Service ${route.service} exposes ${route.port}`).toContain(route.port);
    }
    const hub = routes.get('/socket.io/')!.ingress.metadata.annotations ?? {};
    const annotation = (key: string) => hub[`nginx.ingress.kubernetes.io/${key}`];
    expect(annotation('affinity')).toBe('cookie');
    expect(annotation('session-cookie-name')).toBeDefined();
    // engine.io pings every 20 s and waits 20 s more: anything shorter cuts idle sockets.
    expect(Number(annotation('proxy-read-timeout'))).toBeGreaterThanOrEqual(60);
    expect(Number(annotation('proxy-send-timeout'))).toBeGreaterThanOrEqual(60);
    expect(routes.get('/api/')!.ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/affinity']).toBeUndefined();
  });

  it('configure only variables Switchboard reads, with the connection strings in the Secret', () => {
    const known = new Set(allEnvVars().map((v) => v.name));
    const secret = ofKind('Secret')[0]!;
    for (const key of [...Object.keys(configMap.data ?? {}), ...Object.keys(secret.stringData ?? {})]) {
      expect(known.has(key), `${key} is not a Switchboard variable (typo?)`).toBe(true);
    }
    for (const key of ['MONGODB_URI', 'REDIS_URL', 'MEILI_MASTER_KEY']) {
      expect(Object.keys(secret.stringData ?? {}), key).toContain(key);
      expect(Object.keys(configMap.data ?? {}), `${key} must not be in the ConfigMap`).not.toContain(key);
    }
    const values = { ...configMap.data, ...secret.stringData };
    for (const [name, schema] of Object.entries(ENV_SCHEMAS)) expect(() => parseEnv(schema, values), `${name} settings`).not.toThrow();
    expect(configMap.data?.HOST).toBe('0.0.0.0');
    expect(configMap.data?.TRUST_PROXY).toBe('true');
  });
});
