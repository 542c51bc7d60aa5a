import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createApplication } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.loader.js';
import { createLogger } from '../../src/core/logger.js';
import { QUEUE_NAMES } from '../../src/jobs/job-registry.js';
import { testConfig } from '../helpers/config.js';

const DIR = fileURLToPath(new URL('../../infra/k8s/', import.meta.url));

/** The Kubernetes (and KEDA) JSON schemas of kubernetes-models, validated offline with ajv: what kubeconform checks. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: Container[] };
}
// biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: any; stringData?: any };

const kustomization = parseAllDocuments(readFileSync(`${DIR}kustomization.yaml`, 'utf8'))[0]?.toJS() as {
  resources: string[];
  images: Array<{ name: string }>;
};
const docs: Doc[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(`${DIR}${file}`, 'utf8')).map((d) => d.toJS() as Doc),
);
const ofKind = (kind: string) => docs.filter((d) => d.kind === kind);
const named = (kind: string, name: string) => {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name} in infra/k8s`);
  return doc;
};
/** Deployments and StatefulSets: the long-running pods. */
const workloads = () => [...ofKind('Deployment'), ...ofKind('StatefulSet')];
const templates = (): Array<{ owner: Doc; template: PodTemplate }> =>
  [...workloads(), ...ofKind('Job')].map((owner) => ({ owner, template: owner.spec.template }));
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** What a container sees as SESSION_BUDDY_* variables: its envFrom ConfigMap and Secret, then its own env. */
function environmentOf(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, named('ConfigMap', from.configMapRef.name).data);
    if (from.secretRef) Object.assign(env, named('Secret', from.secretRef.name).stringData);
  }
  for (const e of container.env ?? []) env[e.name] = e.value as string;
  return env;
}

describe('Kubernetes manifests (infra/k8s)', () => {
  it('kustomization.yaml lists every manifest in the folder', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('each object is a known kind and valid against its Kubernetes (or KEDA) schema', () => {
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model, `${doc.apiVersion} ${doc.kind} ${doc.metadata?.name}`).toBeDefined();
      expect(() => new (Model as NonNullable<typeof Model>)(doc as never).validate()).not.toThrow();
    }
    expect(new Set(docs.map((d) => `${d.kind}/${d.metadata.name}`)).size).toBe(docs.length);
  });

  it('has the API Deployment + Service, the worker Deployment, the migrate Job, config, secret and PDBs', () => {
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'ConfigMap/session-buddy-config',
        'Deployment/session-buddy-api',
        'Deployment/session-buddy-worker',
        'Job/session-buddy-migrate',
        'PodDisruptionBudget/session-buddy-api',
        'PodDisruptionBudget/session-buddy-worker',
        'ScaledObject/session-buddy-worker',
        'Secret/session-buddy-secrets',
        'Service/session-buddy-analytics',
        'Service/session-buddy-api',
        'StatefulSet/session-buddy-analytics',
      ].sort(),
    );
    expect(named('Deployment', 'session-buddy-worker').spec.replicas).toBeGreaterThanOrEqual(2);
  });

  it('selectors match their pods: workloads their template, Services and PDBs exactly one workload', () => {
    for (const d of workloads())
      expect(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
    const deployments = workloads();
    for (const s of ofKind('Service')) {
      const selected = deployments.filter((d) => matches(s.spec.selector, d.spec.template.metadata.labels));
      expect(
        selected.map((d) => d.metadata.name),
        s.metadata.name,
      ).toHaveLength(1);
      const ports = ((selected[0]?.spec.template.spec.containers ?? []) as Container[]).flatMap((c) => c.ports ?? []);
      for (const p of s.spec.ports) expect(ports.map((cp) => cp.name)).toContain(p.targetPort);
    }
    for (const pdb of ofKind('PodDisruptionBudget')) {
      const selected = deployments.filter((d) =>
        matches(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels),
      );
      expect(
        selected.map((d) => d.metadata.name),
        pdb.metadata.name,
      ).toHaveLength(1);
      expect(pdb.spec.minAvailable).toBeLessThan(selected[0]?.spec.replicas);
    }
  });

  it('runs real CLI commands, listening on the ports the probes use; one image, the one kustomize sets', () => {
    const commands: Record<string, string> = {};
    for (const { owner, template } of templates()) {
      for (const c of template.spec.containers) {
        expect(c.image).toBe(kustomization.images[0]?.name);
        const [command, ...flags] = c.args ?? [];
        commands[owner.metadata.name] = command as string;
        const port = flags.find((f) => f.startsWith('--port='))?.slice('--port='.length);
        const declared = (c.ports ?? []).map((p) => String(p.containerPort));
        if (command === 'migrate') expect(declared).toEqual([]);
        else expect(declared).toEqual([port]);
      }
    }
    expect(commands).toEqual({
      'session-buddy-api': 'start',
      'session-buddy-worker': 'worker',
      'session-buddy-analytics': 'worker',
      'session-buddy-migrate': 'migrate',
    });
  });

  it('probes: startup and liveness on /healthz, readiness on the role-aware /readyz, at a named container port', async () => {
    for (const d of workloads()) {
      for (const c of d.spec.template.spec.containers as Container[]) {
        const portNames = (c.ports ?? []).map((p) => p.name);
        expect(c.startupProbe?.httpGet?.path).toBe('/healthz');
        expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
        expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
        for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
          expect(portNames).toContain(probe?.httpGet?.port);
        }
      }
    }
    // The paths are real: a worker and an API answer them.
    for (const role of ['api', 'worker'] as const) {
      const app = await createApplication(testConfig(), createLogger('silent'), { role, defaultMetrics: false });
      try {
        for (const path of ['/healthz', '/readyz']) {
          const response = await app.http.request(path, { headers: { host: '127.0.0.1:8678' } });
          expect(response.status, `${role} ${path}`).toBe(200);
        }
      } finally {
        await app.close();
      }
    }
  });

  it("every container's environment is a valid standard configuration (real keys, auth on with its secret)", () => {
    for (const { owner, template } of templates()) {
      for (const c of template.spec.containers) {
        const env = environmentOf(c);
        expect(
          Object.keys(env).every((k) => k.startsWith('SESSION_BUDDY_')),
          owner.metadata.name,
        ).toBe(true);
        const { config } = loadConfig({ env });
        expect(config.mode).toBe('standard');
        expect(config.auth.enabled).toBe(true);
        expect(config.auth.secret).toBeDefined();
        if (c.args?.[0] === 'worker') expect(config.server.host).toBe('0.0.0.0');
      }
    }
  });

  it('every queue has consumers, and analytics exactly one: the single-replica owner the others reach at its Service', () => {
    const consumers = new Map<string, string[]>();
    for (const w of workloads()) {
      const [command, ...flags] = (w.spec.template.spec.containers[0] as Container).args ?? [];
      if (command !== 'worker') continue;
      const queues = flags
        .find((f) => f.startsWith('--queues='))
        ?.slice('--queues='.length)
        .split(',') ?? [...QUEUE_NAMES];
      for (const q of queues) consumers.set(q, [...(consumers.get(q) ?? []), w.metadata.name]);
    }
    expect(Object.fromEntries(consumers)).toEqual({
      embedding: ['session-buddy-worker'],
      sync: ['session-buddy-worker'],
      analytics: ['session-buddy-analytics'],
    });
    const owner = named('StatefulSet', 'session-buddy-analytics');
    expect(owner.spec.replicas).toBe(1);
    const { config } = loadConfig({ env: environmentOf(owner.spec.template.spec.containers[0]) });
    const service = named('Service', 'session-buddy-analytics');
    expect(config.analytics.advertiseUrl).toBe(`http://${service.metadata.name}:${service.spec.ports[0].port}`);
    expect(config.server.allowedHosts).toContain(service.metadata.name);
    expect(owner.spec.volumeClaimTemplates.map((v: Doc) => v.metadata.name)).toContain('data');
  });

  it('the KEDA ScaledObject scales the worker Deployment on the waiting list of a real queue in the configured Redis', () => {
    const scaled = named('ScaledObject', 'session-buddy-worker');
    const worker = named('Deployment', 'session-buddy-worker');
    expect(scaled.spec.scaleTargetRef).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: worker.metadata.name,
    });
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
    const { config } = loadConfig({ env: environmentOf(worker.spec.template.spec.containers[0]) });
    const [trigger] = scaled.spec.triggers as Array<{ type: string; metadata: Record<string, string> }>;
    expect(trigger?.type).toBe('redis');
    const redis = new URL(config.redis.url);
    expect(trigger?.metadata.address).toBe(`${redis.hostname}:${redis.port || 6379}`);
    const [prefix, queue, list] = String(trigger?.metadata.listName).split(':');
    expect(prefix).toBe(config.redis.prefix);
    expect(QUEUE_NAMES).toContain(queue);
    expect(list).toBe('wait');
  });
});
