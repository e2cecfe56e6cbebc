import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import type { Define } from '../route';

/** The support console's static files (api/console/): plain HTML, CSS and JavaScript, no build step. */
const FILES = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'analytics.js': 'text/javascript; charset=utf-8',
} as const;
const assetParams = z.object({ file: z.enum(Object.keys(FILES) as [keyof typeof FILES]) });

const read = (name: string) => readFileSync(path.join(__dirname, '..', 'console', name), 'utf8');
/** Chart.js for the analytics dashboard, from the engine's own node_modules: no CDN, the version in package-lock. */
const chartJs = () => readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');

/**
 * GET /console: the page is public; everything it shows comes from the API with the support key the
 * user enters, so the page itself holds nothing secret.
 */
export function consoleRoutes(_deps: AppDeps, define: Define) {
  const page = read('index.html');
  const assets = Object.fromEntries(Object.keys(FILES).map((f) => [f, read(f)])) as Record<keyof typeof FILES, string>;

  define<undefined, undefined, undefined>({
    method: 'GET',
    url: '/console',
    operationId: 'getConsole',
    response: { contentType: 'text/html' },
    summary: 'The support web console (HTML; enter a support key in the page)',
    tags: ['console'],
    auth: 'public',
    async handler({ reply }) {
      void reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache');
      return page;
    },
  });

  const dashboard = read('analytics.html');
  const chart = chartJs();
  define<undefined, undefined, undefined>({
    method: 'GET',
    url: '/console/analytics',
    operationId: 'getAnalyticsDashboard',
    summary: 'The analytics dashboard (HTML; enter a merchant or support key in the page)',
    response: { contentType: 'text/html' },
    tags: ['console'],
    auth: 'public',
    async handler({ reply }) {
      void reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache');
      return dashboard;
    },
  });

  define<undefined, undefined, undefined>({
    method: 'GET',
    url: '/console/vendor/chart.umd.min.js',
    operationId: 'getChartJs',
    summary: 'Chart.js (MIT), served from the engine for the analytics dashboard',
    response: { contentType: 'text/javascript' },
    tags: ['console'],
    auth: 'public',
    async handler({ reply }) {
      void reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400');
      return chart;
    },
  });

  define<undefined, z.infer<typeof assetParams>, undefined>({
    method: 'GET',
    url: '/console/:file',
    operationId: 'getConsoleAsset',
    response: { contentType: 'text/plain', description: 'The script (text/javascript) or style sheet (text/css)' },
    summary: "The console's script and style sheet",
    tags: ['console'],
    auth: 'public',
    params: assetParams,
    async handler({ params, reply }) {
      void reply.type(FILES[params.file]).header('cache-control', 'no-cache');
      return assets[params.file];
    },
  });
}
