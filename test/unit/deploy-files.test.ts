// docker-compose.yml and the Dockerfile cannot be run here (no Docker engine on the development
// machines and CI): their shape is checked instead (docs/operations.md, "Docker Compose").
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { WORKER_ENVIRONMENT, WORKER_NODE_FLAGS } from '../../workers/limits';

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  environment?: Record<string, unknown>;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);
/** Jobs that run once (schema, namespace, migrations): the others run for good. */
const isOneShot = (s: Service) => s.restart === undefined || /^(no|on-failure)/.test(s.restart);

test('every depends_on names a service, with a condition that service can meet', () => {
  for (const [name, service] of services)
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      const target = compose.services[dependency];
      expect({ name, dependency, exists: target !== undefined }).toEqual({ name, dependency, exists: true });
      if (condition === 'service_healthy') expect(target.healthcheck?.test).toBeDefined();
      else
        expect({ name, dependency, condition, oneShot: isOneShot(target) }).toMatchObject({
          condition: 'service_completed_successfully',
          oneShot: true,
        });
    }
});

test('every long-running service has a health check and restarts unless stopped', () => {
  const longRunning = services.filter(([, s]) => !isOneShot(s));
  expect(longRunning.map(([n]) => n).sort()).toEqual(
    ['api', 'orders-db', 'temporal', 'temporal-db', 'temporal-ui', 'worker'].sort(),
  );
  for (const [name, s] of longRunning)
    expect({ name, healthcheck: (s.healthcheck?.test?.length ?? 0) > 0, restart: s.restart }).toEqual({
      name,
      healthcheck: true,
      restart: 'unless-stopped',
    });
});

test("images are pinned to explicit versions; Temporal's current images, no auto-setup", () => {
  for (const [name, s] of services) {
    expect({ name, image: s.image }).toEqual({ name, image: expect.stringMatching(/:\d+\.\d+(\.\d+)?(-[\w.]+)?$/) });
  }
  const images = services.map(([, s]) => s.image!);
  expect(images.some((i) => i.startsWith('temporalio/auto-setup'))).toBe(false);
  expect(images).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^temporalio\/server:/),
      expect.stringMatching(/^temporalio\/admin-tools:/),
      expect.stringMatching(/^temporalio\/ui:/),
    ]),
  );
  // The UI shows Worker Deployments (Worker Versioning) from 2.36 on.
  const ui = images.find((i) => i.startsWith('temporalio/ui:'))!;
  const [major, minor] = ui.split(':')[1].split('.').map(Number);
  expect(major > 2 || (major === 2 && minor >= 36)).toBe(true);
});

test('the schema job sets up both Temporal databases; the server runs 4 history shards', () => {
  const script = read('deploy/temporal/setup-schema.sh');
  for (const step of ['create-database', 'setup-schema -v 0.0', 'update-schema']) expect(script).toContain(step);
  expect(script).toMatch(/prepare temporal temporal\n/);
  expect(script).toMatch(/prepare temporal_visibility visibility\n/);
  expect(String(compose.services.temporal.environment?.NUM_HISTORY_SHARDS)).toBe('4');
  expect(compose.services.temporal.depends_on?.['temporal-schema']?.condition).toBe('service_completed_successfully');
  expect(read('deploy/temporal/create-namespace.sh')).toContain('temporal operator cluster health');
});

test('the image: multi-stage on the Node LTS CI tests, a prebuilt workflow bundle, a non-root user, a health check', () => {
  const dockerfile = read('Dockerfile');
  expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
  // Node 24 LTS, the version CI tests (decision 084): raise it with CI's.
  expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
  expect(dockerfile).toMatch(/npm ci\b/);
  // npm ci's postinstall patches dependencies (patches/, decision 109): the patches are there before it runs.
  expect(dockerfile.slice(0, dockerfile.search(/^RUN npm ci\b/m))).toMatch(/^COPY patches\/ patches\/$/m);
  expect(dockerfile).toMatch(/npm prune --omit=dev/);
  expect(dockerfile).toMatch(/^USER node$/m);
  // Workers load the workflow bundle built into the image (workers/workflow-bundle.ts).
  expect(dockerfile).toMatch(/^RUN node --import tsx scripts\/build-workflows\.ts \.build\/workflows$/m);
  expect(dockerfile).toMatch(/^ENV WORKFLOW_BUNDLE_DIR=\/app\/\.build\/workflows$/m);
  expect(dockerfile).toMatch(/^HEALTHCHECK .*scripts\/healthcheck\.js/m);
});

test("every worker launcher starts node with the worker's flags and environment (decisions 106, 112, 115)", () => {
  const worker = (
    parse(read('docker-compose.yml'), { merge: true }) as {
      services: { worker: { command: string[]; environment: Record<string, unknown> } };
    }
  ).services.worker;
  expect(worker.command).toEqual(['node', ...WORKER_NODE_FLAGS, '--import', 'tsx', 'workers/main.ts']);
  for (const [name, value] of Object.entries(WORKER_ENVIRONMENT)) expect(String(worker.environment[name])).toBe(value);
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const environment = Object.entries(WORKER_ENVIRONMENT).map(([name, value]) => `${name}=${value}`);
  expect(scripts.worker).toBe(
    [...environment, 'node', ...WORKER_NODE_FLAGS, '--import', 'tsx', 'workers/main.ts'].join(' '),
  );
});
