// Support console: plain browser JavaScript, no build step. Talks to the same REST API as every
// client, with the support key the user entered (kept in sessionStorage, i.e. this tab only).
'use strict';

const KEY = 'supportKey';
const $ = (id) => document.getElementById(id);
let searchCursor = null;
let openOrderId = null;

/** Builds an element; text is always set as text, never parsed as HTML. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    // Every write carries an Idempotency-Key (refunds and cancellations require one): one per submission.
    headers: {
      authorization: `Bearer ${sessionStorage.getItem(KEY)}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'idempotency-key': crypto.randomUUID() } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401) signOut('The key was refused; enter a support key.');
    throw new ApiError(res.status, data);
  }
  return data;
}

const money = (amount, currency = 'CNY') => `${(amount / 100).toFixed(2)} ${currency}`;
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const ago = (iso) => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120
    ? `${s}s`
    : s < 7200
      ? `${Math.round(s / 60)} min`
      : s < 172800
        ? `${Math.round(s / 3600)} h`
        : `${Math.round(s / 86400)} d`;
};

function reasonText(r) {
  switch (r.kind) {
    case 'activity_retrying':
      return `${r.activity} retrying (attempt ${r.attempt})${r.lastFailure ? `: ${r.lastFailure}` : ''}`;
    case 'wait_overdue':
      return `waiting for ${r.awaiting.replace(/_/g, ' ')} past ${when(r.until)}`;
    case 'tracking_silent':
      return `shipment ${r.trackingNumber || r.shipmentId} silent since ${when(r.lastEventAt || r.since)}`;
    case 'workflow_failed':
      return `workflow ${r.status}${r.failure ? `: ${r.failure}` : ''}`;
    case 'workflow_task_failing':
      return `workflow task failing (attempt ${r.attempt})`;
    case 'workflow_not_started':
      return 'accepted but never started';
    case 'refund_unconfirmed':
      return `refund ${r.refundId} of ${r.amount} unconfirmed by the provider since ${when(r.decidedAt)}`;
    default:
      return r.kind;
  }
}

// ── Sign in ───────────────────────────────────────────────────────────────────────────────────────

function signOut(message) {
  sessionStorage.removeItem(KEY);
  $('workspace').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('key-error').textContent = message || '';
}

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  try {
    await api('GET', '/v1/ops/audit?limit=1'); // proves the key is a support key
  } catch (err) {
    signOut(err.status === 403 ? 'This key is not a support key.' : err.message);
    return;
  }
  $('sign-in').hidden = true;
  $('workspace').hidden = false;
  $('sign-out').hidden = false;
  loadStuck();
  loadFailedNotifications();
  loadFailedDeliveries();
}

// ── Failed notifications ─────────────────────────────────────────────────────────────────────────

/** Notifications the dispatcher gave up on (docs/notifications.md); resending reuses the order operation. */
async function loadFailedNotifications() {
  $('failed-status').textContent = 'Looking for failed notifications…';
  try {
    const { items } = await api('GET', '/v1/ops/notifications?status=failed&limit=100');
    $('failed-list').replaceChildren(
      ...items.map((n) =>
        el(
          'li',
          { 'data-notification': n.id },
          n.orderId ? orderLink(n.orderId) : el('span', {}, n.recipientId),
          ' ',
          el('span', { class: 'badge' }, n.channel),
          ` ${n.kind} to ${n.recipientType} ${n.recipientId}, ${n.attempts} attempts`,
          el('span', { class: 'reason' }, n.lastError || ''),
          el('button', { type: 'button', class: 'resend', onclick: () => resendNotification(n) }, 'Resend'),
        ),
      ),
    );
    $('failed-status').textContent = items.length ? `${items.length} failed, newest first` : 'No failed notifications.';
  } catch (err) {
    $('failed-status').textContent = err.message;
  }
}

async function resendNotification(n) {
  const reason = $('resend-reason').value.trim() || 'resent from the console';
  try {
    // An order's notification is resent as an operation on its order; one without (low stock) on its own.
    if (n.orderId)
      await api('POST', `/v1/ops/orders/${encodeURIComponent(n.orderId)}/resend-notification`, {
        reason,
        notificationId: n.id,
      });
    else await api('POST', `/v1/ops/notifications/${encodeURIComponent(n.id)}/resend`, { reason });
    $('failed-status').textContent = `${n.id} queued again.`;
  } catch (err) {
    $('failed-status').textContent = `${n.id}: ${err.message}`;
  }
  loadFailedNotifications();
}

// ── Stuck orders and search ──────────────────────────────────────────────────────────────────────

function orderLink(id) {
  return el('button', { type: 'button', class: 'link', onclick: () => openOrder(id) }, id);
}

async function loadStuck() {
  $('stuck-status').textContent = 'Looking for stuck orders…';
  try {
    const q = new URLSearchParams({ stuck: 'true', limit: '200' });
    const customer = $('stuck-customer').value.trim();
    if (customer) q.set('customerId', customer);
    const { items } = await api('GET', `/v1/ops/orders?${q}`);
    $('stuck-list').replaceChildren(
      ...items.map((o) =>
        el(
          'li',
          { 'data-order': o.orderId },
          orderLink(o.orderId),
          ' ',
          el('span', { class: 'badge' }, o.status),
          ` stuck for ${ago(o.since)}`,
          ...o.reasons.map((r) => el('span', { class: 'reason' }, reasonText(r))),
        ),
      ),
    );
    $('stuck-status').textContent = items.length ? `${items.length} stuck, longest first` : 'No stuck orders.';
  } catch (err) {
    $('stuck-status').textContent = err.message;
  }
}

async function search(more) {
  const form = new FormData($('search-form'));
  const id = String(form.get('id') || '').trim();
  if (id) return openOrder(id);
  const q = new URLSearchParams({ limit: '20' });
  for (const k of ['customerId', 'status']) if (form.get(k)) q.set(k, String(form.get(k)).trim());
  if (form.get('from')) q.set('from', new Date(`${form.get('from')}T00:00:00`).toISOString());
  if (form.get('to')) q.set('to', new Date(`${form.get('to')}T23:59:59.999`).toISOString());
  if (more && searchCursor) q.set('cursor', searchCursor);
  try {
    const { items, nextCursor } = await api('GET', `/v1/orders?${q}`);
    const rows = items.map((o) =>
      el(
        'li',
        {},
        orderLink(o.id),
        ' ',
        el('span', { class: 'badge' }, o.status),
        ` ${o.customerId} · ${money(o.total.amount, o.total.currency)} · ${when(o.createdAt)}`,
      ),
    );
    if (more) $('search-list').append(...rows);
    else $('search-list').replaceChildren(...rows);
    searchCursor = nextCursor;
    $('search-more').hidden = !nextCursor;
    $('search-status').textContent = rows.length || more ? '' : 'No orders match.';
  } catch (err) {
    $('search-status').textContent = err.message;
  }
}

// ── One order ────────────────────────────────────────────────────────────────────────────────────

function table(headers, rows) {
  if (rows.length === 0) return el('p', { class: 'hint' }, 'None.');
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      {},
      el('tr', {}, ...headers.map((h) => el('th', {}, h))),
      ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c)))),
    ),
  );
}

async function openOrder(id) {
  openOrderId = id;
  $('order-panel').hidden = false;
  $('order-title').textContent = `Order ${id}`;
  $('op-result').textContent = '';
  await renderOrder(id);
  $('order-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
}

async function renderOrder(id) {
  let order;
  try {
    order = await api('GET', `/v1/orders/${encodeURIComponent(id)}`);
  } catch (err) {
    $('order-summary').replaceChildren(el('p', { class: 'error' }, err.message));
    for (const part of [
      'order-payments',
      'order-shipments',
      'order-after-sales',
      'order-timeline',
      'order-audit',
      'order-links',
    ])
      $(part).replaceChildren();
    return;
  }
  const pending = order.pendingDecision;
  $('order-summary').replaceChildren(
    ...[
      el(
        'p',
        {},
        el('span', { class: 'badge', id: 'order-status' }, order.status),
        ` ${order.channel} · customer ${order.customerId} · merchant ${order.merchantId} · ${order.paymentMethod} · total ${money(order.totals.total, order.totals.currency)}`,
      ),
      pending
        ? el(
            'p',
            {},
            `Waiting for ${pending.awaiting.replace(/_/g, ' ')} (${pending.actor}) until ${when(pending.until)}`,
          )
        : null,
      order.cancellation ? el('p', {}, `Cancelled by ${order.cancellation.actor}: ${order.cancellation.reason}`) : null,
      order.rejection ? el('p', {}, `Rejected: ${order.rejection.reason}`) : null,
      table(
        ['line', 'sku', 'qty', 'allocated', 'shipped', 'delivered', 'returned', 'refunded'],
        order.lines.map((l) => [
          l.lineNo,
          `${l.sku} ${l.name}`,
          l.quantity,
          l.ledger.allocated,
          l.ledger.shipped,
          l.ledger.delivered,
          l.ledger.returned,
          l.ledger.refunded,
        ]),
      ),
    ].filter(Boolean),
  );
  $('order-payments').replaceChildren(
    table(
      ['payment', 'method', 'status', 'captured', 'refunded', 'released', 'refunds'],
      order.payments.map((p) => [
        p.paymentId,
        p.method,
        p.status,
        money(p.captured, p.currency),
        money(p.refunded, p.currency),
        money(p.voided || 0, p.currency),
        (p.refunds || [])
          .map((r) => `${money(r.amount, p.currency)} ${r.kind === 'release' ? 'released' : r.status} (${r.reason})`)
          .join('; '),
      ]),
    ),
  );
  $('order-shipments').replaceChildren(
    table(
      ['shipment', 'courier', 'tracking', 'status', 'last scan'],
      order.shipments.map((s) => {
        const last = (s.tracking || [])[s.tracking.length - 1];
        return [
          s.shipmentId,
          s.courier || '—',
          s.trackingNumber || '—',
          s.status,
          last ? `${last.type} ${when(last.occurredAt)}` : '—',
        ];
      }),
    ),
  );
  const afterSales = order.afterSales || order.afterSalesRequests || [];
  $('order-after-sales').replaceChildren(
    table(
      ['request', 'type', 'status'],
      afterSales.map((a) => [a.id || a.requestId, a.type, a.status]),
    ),
  );
  await Promise.all([renderTimeline(id), renderAudit(id)]);
}

async function renderTimeline(id) {
  try {
    const t = await api('GET', `/v1/ops/orders/${encodeURIComponent(id)}/timeline`);
    $('order-links').replaceChildren(
      'Temporal: ',
      ...t.links.workflows.flatMap((w, i) => [
        i ? ' · ' : '',
        el('a', { href: w.url, target: '_blank', rel: 'noopener' }, `${w.workflowId} (${w.status})`),
      ]),
    );
    $('order-timeline').replaceChildren(
      ...t.entries.map((e) =>
        el(
          'li',
          { class: `src-${e.source}` },
          el('time', { datetime: e.at }, new Date(e.at).toLocaleTimeString()),
          el('span', {}, e.source),
          el(
            'span',
            {},
            e.summary,
            e.actor && e.source !== 'workflow' ? ` · ${e.actor}` : '',
            e.error ? el('span', { class: 'err' }, e.error) : null,
          ),
        ),
      ),
    );
  } catch (err) {
    $('order-timeline').replaceChildren(el('li', { class: 'error' }, err.message));
  }
}

async function renderAudit(id) {
  const { items } = await api('GET', `/v1/ops/audit?orderId=${encodeURIComponent(id)}`).catch(() => ({ items: [] }));
  $('order-audit').replaceChildren(
    ...items.map((a) =>
      el(
        'li',
        {},
        `${when(a.at)} · ${a.actor.name} · ${a.operation} · `,
        el('strong', { class: a.outcome === 'succeeded' ? 'ok' : 'error' }, a.outcome),
        ` · ${a.reason}`,
      ),
    ),
  );
  if (!items.length) $('order-audit').replaceChildren(el('li', { class: 'hint' }, 'No support operations yet.'));
}

async function runOperation(event) {
  event.preventDefault();
  const form = new FormData($('op-form'));
  const op = String(form.get('op'));
  const body = { reason: String(form.get('reason') || '').trim() };
  if (op === 'review') body.decision = String(form.get('decision'));
  if (op === 'refund') body.amount = Number(form.get('amount'));
  if (op === 'extend') body.seconds = Number(form.get('seconds'));
  if (op === 'resend-notification' && String(form.get('notificationId') || '').trim())
    body.notificationId = String(form.get('notificationId')).trim();
  const result = $('op-result');
  result.className = '';
  result.textContent = `Running ${op}…`;
  try {
    await api('POST', `/v1/ops/orders/${encodeURIComponent(openOrderId)}/${op}`, body);
    result.className = 'ok';
    result.textContent = `${op}: done.`;
  } catch (err) {
    result.className = 'error';
    const fields = (err.problem?.errors || []).map((e) => `${e.field} ${e.message}`).join('; ');
    result.textContent = `${op} refused: ${fields || err.message}`;
  }
  await renderOrder(openOrderId);
  loadStuck();
}

// ── Failed webhook deliveries (docs/notifications.md, "Outbound events") ───────────────────────────

function answerText(a) {
  if (!a) return 'never attempted';
  return a.error ? a.error : `HTTP ${a.statusCode}${a.body ? `: ${a.body.slice(0, 120)}` : ''}`;
}

async function loadFailedDeliveries() {
  $('webhooks-status').textContent = 'Loading failed deliveries…';
  try {
    const { items } = await api('GET', '/v1/webhook-deliveries?status=failed&limit=100');
    $('webhooks-list').replaceChildren(
      ...items.map((d) =>
        el(
          'li',
          { 'data-event': d.eventId },
          el('span', { class: 'badge' }, d.eventType),
          ' ',
          orderLink(d.orderId),
          ` #${d.sequence} → ${d.url}`,
          el('span', { class: 'reason' }, `${d.attempts} attempts; last: ${answerText(d.lastAnswer)}`),
          el('button', { type: 'button', onclick: () => redeliver(d) }, 'Redeliver'),
        ),
      ),
    );
    $('webhooks-status').textContent = items.length ? `${items.length} failed, newest first` : 'No failed deliveries.';
  } catch (err) {
    $('webhooks-status').textContent = err.message;
  }
}

async function redeliver(d) {
  try {
    await api(
      'POST',
      `/v1/webhook-subscriptions/${d.subscriptionId}/deliveries/${encodeURIComponent(d.eventId)}/redeliver`,
    );
    await loadFailedDeliveries(); // the list no longer holds it
    $('webhooks-status').textContent = `${d.eventId} queued again (same webhook-id).`;
  } catch (err) {
    $('webhooks-status').textContent = err.message;
  }
}

function showOperationFields() {
  const op = $('op').value;
  for (const label of document.querySelectorAll('#op-form [data-for]')) label.hidden = label.dataset.for !== op;
}

document.addEventListener('DOMContentLoaded', () => {
  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn($('key').value.trim());
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('refresh-stuck').addEventListener('click', loadStuck);
  $('refresh-failed').addEventListener('click', loadFailedNotifications);
  $('refresh-webhooks').addEventListener('click', loadFailedDeliveries);
  $('stuck-customer').addEventListener('change', loadStuck);
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    search(false);
  });
  $('search-more').addEventListener('click', () => search(true));
  $('close-order').addEventListener('click', () => ($('order-panel').hidden = true));
  $('op').addEventListener('change', showOperationFields);
  $('op-form').addEventListener('submit', runOperation);
  showOperationFields();
  if (sessionStorage.getItem(KEY)) signIn(sessionStorage.getItem(KEY));
  else signOut();
});
