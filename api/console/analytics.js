// The analytics dashboard (docs/analytics.md): every chart is one /v1/analytics table, fetched with the
// key typed in the page (kept in this tab's sessionStorage) and drawn with Chart.js, served from the
// engine's own node_modules (no CDN).
'use strict';
const KEY = 'analytics-key';
const $ = (id) => document.getElementById(id);
const charts = {};

async function table(path, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
  const res = await fetch(`/v1/analytics/${path}?${query}`, {
    headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}` },
  });
  const body = await res.json();
  if (!res.ok) throw new Error(body.detail || res.statusText);
  return body.rows;
}

function draw(id, type, labels, datasets, options = {}) {
  charts[id]?.destroy();
  charts[id] = new Chart($(id), {
    type,
    data: { labels, datasets },
    options: { responsive: true, maintainAspectRatio: false, animation: false, ...options },
  });
}

const yuan = (fen) => fen / 100;

function drawSales(rows) {
  draw(
    'sales',
    'line',
    rows.map((r) => r.bucket),
    [
      { label: 'GMV (CNY)', data: rows.map((r) => yuan(r.gmv)), yAxisID: 'y', borderColor: '#1f6feb', tension: 0.2 },
      { label: 'Orders', data: rows.map((r) => r.orders), yAxisID: 'y1', borderColor: '#f0883e', tension: 0.2 },
    ],
    { scales: { y1: { position: 'right', grid: { drawOnChartArea: false } } } },
  );
}

function drawFunnel(rows) {
  draw(
    'funnel',
    'bar',
    rows.map((r) => r.stage),
    [
      {
        label: 'Orders',
        data: rows.map((r) => r.orders),
        backgroundColor: rows.map((r) => (['cancelled', 'rejected'].includes(r.stage) ? '#cf222e' : '#2da44e')),
      },
    ],
    { plugins: { legend: { display: false } } },
  );
}

function drawTop(rows) {
  draw(
    'top',
    'bar',
    rows.map((r) => r.name || r.sku),
    [{ label: 'Revenue (CNY)', data: rows.map((r) => yuan(r.revenue)), backgroundColor: '#8250df' }],
    { indexAxis: 'y', plugins: { legend: { display: false } } },
  );
}

function drawReasons(rows) {
  const byReason = new Map();
  for (const r of rows) byReason.set(r.reason, (byReason.get(r.reason) || 0) + r.units);
  const sorted = [...byReason].sort((a, b) => b[1] - a[1]);
  draw(
    'reasons',
    'bar',
    sorted.map(([reason]) => reason),
    [{ label: 'Units', data: sorted.map(([, units]) => units), backgroundColor: '#bf8700' }],
    { plugins: { legend: { display: false } } },
  );
}

function drawCover(rows) {
  const shown = rows.filter((r) => r.urgency !== 'no_demand').slice(0, 15);
  draw(
    'cover',
    'bar',
    shown.map((r) => `${r.sku} @ ${r.warehouseId}`),
    [
      { label: 'Cover (days)', data: shown.map((r) => r.coverDays), backgroundColor: '#1f6feb' },
      {
        label: 'Lead + safety (days)',
        data: shown.map((r) => r.leadTimeDays + r.safetyStockDays),
        backgroundColor: '#d0d7de',
      },
    ],
  );
  $('cover-rows').replaceChildren(
    ...shown.map((r) => {
      const tr = document.createElement('tr');
      for (const v of [
        r.sku,
        r.warehouseId,
        r.available,
        r.velocityPerDay,
        r.coverDays,
        r.reorderPoint,
        r.suggestedQuantity,
        r.urgency,
      ]) {
        const td = document.createElement('td');
        td.textContent = v ?? '–';
        tr.append(td);
      }
      tr.lastChild.className = r.urgency;
      return tr;
    }),
  );
}

async function load() {
  $('error').textContent = '';
  const params = {
    from: $('from').value,
    to: $('to').value,
    timezone: $('timezone').value,
    merchantId: $('merchantId').value,
  };
  try {
    const [sales, funnel, top, reasons, cover] = await Promise.all([
      table('sales', params),
      table('funnel', params),
      table('products/top', { ...params, limit: 10 }),
      table('after-sales/reasons', { ...params, limit: 500 }),
      table('stock-cover', { merchantId: params.merchantId }),
    ]);
    drawSales(sales);
    drawFunnel(funnel);
    drawTop(top);
    drawReasons(reasons);
    drawCover(cover);
    document.body.dataset.loaded = 'true';
  } catch (err) {
    $('error').textContent = err.message;
  }
}

$('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, $('key').value);
  void load();
});
if (sessionStorage.getItem(KEY)) {
  $('key').value = sessionStorage.getItem(KEY);
  void load();
}
