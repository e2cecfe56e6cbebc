// Container health check (Dockerfile HEALTHCHECK, docker-compose.yml): exits 0 when the URL answers
// 2xx within 4 s. Plain JavaScript, so it runs with `node` alone. Default: the API's readiness; a
// worker passes its metrics port's /readyz.
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.PORT ?? 3000}/readyz`;
fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
