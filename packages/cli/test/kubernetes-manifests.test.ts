// deploy/kubernetes (a kustomize base) checked offline, as no Kubernetes cluster can run here:
// every object against the Kubernetes API schemas of kubernetes-models (required fields, types,
// formats, enums), every field name against the API types (TypeScript's excess-property check
// over the models' interfaces: a misspelt or misplaced field fails), and the references between
// the objects (selectors, ports, names) as the API server and the controllers would follow them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Service } from 'kubernetes-models/v1/Service';
import { Secret } from 'kubernetes-models/v1/Secret';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { REPO_DIR } from './harness.js';

const DIR = path.join(REPO_DIR, 'deploy', 'kubernetes');
const HERE = path.dirname(fileURLToPath(import.meta.url));

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any };

/** apiVersion/kind -> the model (runtime schema) and the module and interface of its type. */
const MODELS: Record<string, { validate: (o: object) => void; module: string; type: string }> = {
  'v1/Service': { validate: (o) => new Service(o as never).validate(), module: 'kubernetes-models/v1/Service', type: 'IService' },
  'v1/Secret': { validate: (o) => new Secret(o as never).validate(), module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'apps/v1/StatefulSet': { validate: (o) => new StatefulSet(o as never).validate(), module: 'kubernetes-models/apps/v1/StatefulSet', type: 'IStatefulSet' },
  'apps/v1/Deployment': { validate: (o) => new Deployment(o as never).validate(), module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'policy/v1/PodDisruptionBudget': { validate: (o) => new PodDisruptionBudget(o as never).validate(), module: 'kubernetes-models/policy/v1/PodDisruptionBudget', type: 'IPodDisruptionBudget' },
  'autoscaling/v2/HorizontalPodAutoscaler': { validate: (o) => new HorizontalPodAutoscaler(o as never).validate(), module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler', type: 'IHorizontalPodAutoscaler' },
  'networking.k8s.io/v1/NetworkPolicy': { validate: (o) => new NetworkPolicy(o as never).validate(), module: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy', type: 'INetworkPolicy' },
};

function parseYaml(file: string): unknown[] {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'), { prettyErrors: true });
  return docs.map((d) => {
    assert.equal(d.errors.length, 0, `${path.relative(REPO_DIR, file)} is not valid YAML: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as unknown;
  });
}

interface Kustomization {
  apiVersion: string;
  kind: string;
  resources: string[];
  secretGenerator: { name: string; files: string[] }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

const kustomization = parseYaml(path.join(DIR, 'kustomization.yaml'))[0] as Kustomization;

/** Every object of the base, the generated Secret included (as kustomize makes it from sluice-secret.txt). */
function objects(): { file: string; obj: Obj }[] {
  const out: { file: string; obj: Obj }[] = [];
  for (const r of kustomization.resources) for (const obj of parseYaml(path.join(DIR, r))) out.push({ file: r, obj: obj as Obj });
  for (const g of kustomization.secretGenerator) {
    const data = Object.fromEntries(g.files.map((f) => [f.split('=')[0], Buffer.from('0'.repeat(32)).toString('base64')]));
    out.push({ file: 'kustomization.yaml (secretGenerator)', obj: { apiVersion: 'v1', kind: 'Secret', metadata: { name: g.name }, type: 'Opaque', data } as Obj });
  }
  return out;
}

test('the kustomization lists every manifest in deploy/kubernetes, and they exist; the secret comes from a file kept out of git', () => {
  assert.equal(kustomization.apiVersion, 'kustomize.config.k8s.io/v1beta1');
  assert.equal(kustomization.kind, 'Kustomization');
  const onDisk = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
  assert.deepEqual([...kustomization.resources].sort(), onDisk);
  assert.deepEqual(kustomization.secretGenerator.map((g) => g.files), [['secret=sluice-secret.txt']]);
  const ignored = spawnSync('git', ['check-ignore', '-q', path.join(DIR, 'sluice-secret.txt')], { cwd: REPO_DIR });
  assert.equal(ignored.status, 0, 'deploy/kubernetes/sluice-secret.txt is ignored by git');
});

test('every object validates against the Kubernetes API schema (kubernetes-models)', () => {
  const seen = new Set<string>();
  for (const { file, obj } of objects()) {
    const key = `${obj.apiVersion}/${obj.kind}`;
    const model = MODELS[key];
    assert.ok(model, `${file}: ${key} is not a kind this test knows; add its model`);
    assert.doesNotThrow(() => model.validate(obj), (err: Error) => `${file}: ${obj.kind} ${obj.metadata?.name}: ${err.message}`);
    seen.add(obj.kind);
  }
  assert.deepEqual([...seen].sort(), ['Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Service', 'StatefulSet']);
});

test('no object has a field the Kubernetes API does not know (tsc over the models\' types)', () => {
  // Each object as an object literal typed with its kind's interface: TypeScript rejects any
  // property the type does not declare, at any depth, and any value of the wrong type.
  const dir = fs.mkdtempSync(path.join(HERE, 'k8s-fields-'));
  try {
    const imports = new Set<string>();
    const decls: string[] = [];
    objects().forEach(({ file, obj }, i) => {
      const m = MODELS[`${obj.apiVersion}/${obj.kind}`]!;
      imports.add(`import type { ${m.type} } from '${m.module}';`);
      decls.push(`// ${file}: ${obj.kind} ${obj.metadata.name}\nexport const o${i}: ${m.type} = ${JSON.stringify(obj, null, 2)};`);
    });
    const src = path.join(dir, 'objects.ts');
    fs.writeFileSync(src, [...imports, ...decls].join('\n') + '\n');
    const tsc = createRequire(path.join(REPO_DIR, 'package.json')).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--pretty', 'false', src], { encoding: 'utf8', timeout: 120_000 });
    // Name the manifest of each error: the line of the error falls after its object's comment.
    const lines = fs.readFileSync(src, 'utf8').split('\n');
    const where = (n: number): string => lines.slice(0, n).reverse().find((l) => l.startsWith('// ')) ?? '';
    const errors = (r.stdout + r.stderr).split('\n').filter((l) => /error TS/.test(l)).map((l) => `${where(Number(/\((\d+),/.exec(l)?.[1] ?? 0))}: ${l.replace(/^.*?error /, 'error ')}`);
    assert.equal(r.status, 0, `fields the Kubernetes API does not know, or values of the wrong type:\n${errors.join('\n') || r.stdout + r.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the objects refer to each other as the controllers will follow them', () => {
  const all = objects().map((o) => o.obj);
  const one = (kind: string, name: string): Obj => {
    const o = all.find((x) => x.kind === kind && x.metadata.name === name);
    assert.ok(o, `a ${kind} named ${name}`);
    return o;
  };
  const matches = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);
  const driver = one('StatefulSet', 'sluice-driver');
  const workers = one('Deployment', 'sluice-worker');
  const service = one('Service', 'sluice-driver');
  const secretName = kustomization.secretGenerator[0]!.name;
  for (const w of [driver, workers]) {
    const labels = w.spec.template.metadata.labels as Record<string, string>;
    assert.ok(matches(w.spec.selector.matchLabels, labels), `${w.kind} ${w.metadata.name}: its selector matches its pods' labels`);
    const c = w.spec.template.spec.containers[0];
    const ports = new Set((c.ports as { name: string }[]).map((p) => p.name));
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
      assert.ok(ports.has(port), `${w.metadata.name}: the ${probe} checks a port the container declares (${port})`);
    }
    assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${w.metadata.name}: CPU and memory requests (the HPA scales on CPU utilization of the request)`);
    const secretVolume = (w.spec.template.spec.volumes as { name: string; secret?: { secretName: string } }[]).find((v) => v.secret);
    assert.equal(secretVolume?.secret?.secretName, secretName, `${w.metadata.name} mounts the generated Secret`);
    const mount = (c.volumeMounts as { name: string; mountPath: string }[]).find((m) => m.name === secretVolume!.name);
    const env = new Map((c.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    assert.equal(env.get('SLUICE_SECRET_FILE'), `${mount!.mountPath}/secret`, `${w.metadata.name}: SLUICE_SECRET_FILE is the mounted key 'secret'`);
    assert.equal(c.image, kustomization.images![0]!.name, `${w.metadata.name} runs the image the kustomization sets`);
  }
  // The driver: /health probes, its state dir on the claim, the Service in front of it.
  const d = driver.spec.template.spec.containers[0];
  assert.equal(d.readinessProbe.httpGet.path, '/health');
  assert.equal(d.livenessProbe.httpGet.path, '/health');
  const stateDir = d.args[d.args.indexOf('--state-dir') + 1];
  const claim = (driver.spec.volumeClaimTemplates as { metadata: { name: string } }[])[0]!.metadata.name;
  assert.ok((d.volumeMounts as { name: string; mountPath: string }[]).some((m) => m.name === claim && m.mountPath === stateDir), `the driver's --state-dir ${stateDir} is its PersistentVolumeClaim '${claim}'`);
  assert.equal(driver.spec.serviceName, service.metadata.name);
  assert.ok(matches(service.spec.selector, driver.spec.template.metadata.labels) && !matches(service.spec.selector, workers.spec.template.metadata.labels), 'the Service selects the driver pod only');
  const driverPorts = new Map((d.ports as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]));
  for (const p of service.spec.ports as { port: number; targetPort: string }[]) assert.equal(driverPorts.get(p.targetPort), p.port, `Service port ${p.port} reaches the driver's port ${p.targetPort}`);
  assert.equal(driverPorts.get('grpc'), Number(d.args[d.args.indexOf('--port') + 1]));
  assert.equal(driverPorts.get('http'), Number(d.args[d.args.indexOf('--web-port') + 1]));
  // The workers: the driver through the Service, their pod IP advertised (downward API) on the port they listen on.
  const w = workers.spec.template.spec.containers[0];
  const arg = (name: string): string => w.args[w.args.indexOf(name) + 1];
  assert.equal(arg('--driver'), `${service.metadata.name}:${(service.spec.ports as { name: string; port: number }[]).find((p) => p.name === 'grpc')!.port}`);
  assert.equal(arg('--advertise-host'), '$(POD_IP)');
  assert.deepEqual((w.env as { name: string; valueFrom?: unknown }[]).find((e) => e.name === 'POD_IP')?.valueFrom, { fieldRef: { fieldPath: 'status.podIP' } });
  assert.equal(Number(arg('--port')), (w.ports as { name: string; containerPort: number }[]).find((p) => p.name === 'grpc')!.containerPort);
  // The budget and the autoscaler act on the workers.
  const pdb = one('PodDisruptionBudget', 'sluice-worker');
  assert.ok(matches(pdb.spec.selector.matchLabels, workers.spec.template.metadata.labels) && !matches(pdb.spec.selector.matchLabels, driver.spec.template.metadata.labels), 'the PodDisruptionBudget selects the workers only');
  const hpa = one('HorizontalPodAutoscaler', 'sluice-worker');
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: workers.metadata.name });
  assert.deepEqual(hpa.spec.metrics.map((m: { resource?: { name: string } }) => m.resource?.name), ['cpu'], 'the HPA scales on CPU (no custom metric exists to scale on)');
  // The network policy lets Sluice's pods (and only them) reach Sluice's pods.
  const np = one('NetworkPolicy', 'sluice');
  for (const o of [driver, workers]) assert.ok(matches(np.spec.podSelector.matchLabels, o.spec.template.metadata.labels), `the NetworkPolicy covers ${o.metadata.name}`);
  assert.ok(matches(np.spec.ingress[0].from[0].podSelector.matchLabels, workers.spec.template.metadata.labels) && matches(np.spec.ingress[0].from[0].podSelector.matchLabels, driver.spec.template.metadata.labels));
});
