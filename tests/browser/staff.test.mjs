// Staff pages in a real browser: sign in with a token, see an overdue complaint marked in
// words (not by colour alone), open it and acknowledge it from its page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, checkPage, daysAgo, launch, startServer } from './support.mjs';

let server;
let officer;

before(async () => {
  server = await startServer();
  officer = server.token('Olive Officer', 'olive@p3.example', 'officer');
});

after(async () => {
  await server?.stop();
});

test('staff sign in, see an overdue case marked and acknowledge it from its page', async () => {
  // A phone complaint received 40 days ago and never acknowledged: both Stage 1 deadlines passed.
  const created = await api(server, 'POST', '/staff/complaints', {
    token: officer,
    body: {
      channel: 'phone',
      received_at: daysAgo(40),
      name: 'Sam <em>Tenant</em>',
      phone: '01632 960 001',
      description: 'Damp in the bedroom; mould on the walls. <script>alert(1)</script>',
      category: 'damp_and_mould',
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const reference = created.body.reference;
  // And one received today, due later: it must come after the overdue one.
  const fresh = await api(server, 'POST', '/staff/complaints', {
    token: officer,
    body: { channel: 'email', email: 'lee@example.org', description: 'The communal door does not lock.' },
  });
  assert.equal(fresh.status, 201);

  const b = await launch();
  try {
    const { page } = b;
    // Without a session, the staff pages send the browser to sign in.
    await page.goto(`${server.url}/staff/cases`);
    await page.waitForURL((u) => u.pathname === '/staff/sign-in');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await checkPage(page, 'staff-sign-in');

    // A wrong token is refused with the error summary.
    await page.getByLabel('Staff token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.error-summary').waitFor();
    assert.match(await page.locator('.error-summary').innerText(), /That token cannot be used/);
    assert.equal(await page.locator('.error-summary a').getAttribute('href'), '#token');
    await checkPage(page, 'staff-sign-in-error');

    await page.getByLabel('Staff token').fill(officer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/cases');
    const cookies = await b.context.cookies();
    const session = cookies.find((c) => c.name === 'p3_staff');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/staff');

    // The open complaints, next deadline first, the overdue one marked in words.
    await page.getByRole('heading', { name: 'Open complaints' }).first().waitFor();
    const rows = page.locator('table tbody tr');
    assert.equal(await rows.count(), 2);
    const first = await rows.nth(0).innerText();
    assert.match(first, new RegExp(reference));
    assert.match(first, /Overdue/);
    assert.match(first, /Stage 1 acknowledgement/);
    assert.doesNotMatch(await rows.nth(1).innerText(), /Overdue/);
    assert.match(await page.locator('.counts').innerText(), /1\s+overdue/);
    const report = page.getByRole('link', { name: /Monthly report for/ }).first();
    assert.match(await report.getAttribute('href'), /^\/staff\/monthly-report\?month=\d{4}-\d{2}$/);
    await checkPage(page, 'staff-cases');

    // The monthly report the pages link to, through the same session (no Authorization header).
    await report.click();
    await page.locator('h1').first().waitFor();
    assert.match(await page.locator('h1').first().innerText(), /complaints/i);
    await checkPage(page, 'staff-monthly-report');
    await page.goBack();
    await page.getByRole('heading', { name: 'Open complaints' }).first().waitFor();

    // The case page: deadlines, timeline, and the acknowledgement form.
    await page.getByRole('link', { name: reference }).click();
    await page.getByRole('heading', { name: reference }).waitFor();
    const main = page.locator('main');
    assert.match(await main.innerText(), /Overdue/);
    assert.match(await main.innerText(), /Sam <em>Tenant<\/em>/);
    assert.match(await main.innerText(), /<script>alert\(1\)<\/script>/);
    assert.equal(await main.locator('em, script').count(), 0);
    assert.match(await page.locator('.timeline').innerText(), /Complaint received/);
    await checkPage(page, 'staff-case');

    // A mistake first: the form comes back with the error summary and the value kept.
    await page.getByLabel("Investigating Manager's email").fill('not an email');
    await page.getByLabel('Complaint points').fill('Damp and mould in the bedroom\nNo reply to two calls');
    await page.getByRole('button', { name: 'Acknowledge Stage 1' }).click();
    await page.locator('.error-summary').waitFor();
    assert.match(await page.locator('.error-summary').innerText(), /staff email/);
    assert.equal(await page.getByLabel("Investigating Manager's email").inputValue(), 'not an email');
    assert.match(await page.getByLabel('Complaint points').inputValue(), /No reply to two calls/);
    await checkPage(page, 'staff-case-error');

    await page.getByLabel("Investigating Manager's email").fill('ian@p3.example');
    await page.getByRole('button', { name: 'Acknowledge Stage 1' }).click();
    await page.locator('.banner--success').waitFor();
    assert.match(await page.locator('.banner--success').innerText(), /Acknowledgement recorded/);
    const ack = page.locator('table tbody tr', { hasText: 'Stage 1 acknowledgement' });
    assert.match(await ack.innerText(), /Met late/);
    assert.match(await page.locator('.timeline').innerText(), /Stage 1 acknowledged/);
    await checkPage(page, 'staff-case-acknowledged');

    // An officer is not offered what needs a manager.
    assert.equal(await page.getByRole('button', { name: 'Send the Stage 1 response' }).count(), 0);
    assert.match(await main.innerText(), /needs the investigating manager role/);

    // Sign out: the session is gone.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/sign-in');
    assert.ok(!(await b.context.cookies()).some((c) => c.name === 'p3_staff'));
    await page.goto(`${server.url}/staff/cases/${reference}`);
    await page.waitForURL((u) => u.pathname === '/staff/sign-in');
  } finally {
    await b.close();
  }

  // Through the API: acknowledged, owned by the Investigating Manager, points kept.
  const res = await api(server, 'GET', `/staff/complaints/${reference}`, { token: officer });
  assert.equal(res.body.status, 'acknowledged');
  assert.equal(res.body.owner, 'ian@p3.example');
  assert.deepEqual(res.body.complaint_points, ['Damp and mould in the bedroom', 'No reply to two calls']);
  assert.equal(res.body.history.at(-1).by, 'olive@p3.example');
});

test('a page form without its CSRF token changes nothing', async () => {
  const created = await api(server, 'POST', '/staff/complaints', {
    token: officer,
    body: { channel: 'phone', phone: '01632 960 002', description: 'Bins not collected.' },
  });
  const reference = created.body.reference;
  // Signed in by cookie, but no token derived from the session: refused.
  const res = await fetch(`${server.url}/staff/cases/${reference}/acknowledge`, {
    method: 'POST',
    headers: { cookie: `p3_staff=${officer}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: 'investigating_manager=ian%40p3.example',
    redirect: 'manual',
  });
  assert.equal(res.status, 403);
  const after = await api(server, 'GET', `/staff/complaints/${reference}`, { token: officer });
  assert.equal(after.body.status, 'received');
  // And the JSON API still answers JSON on the same complaint.
  assert.match(after.headers.get('content-type'), /^application\/json/);
});
