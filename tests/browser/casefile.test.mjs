// The case file in a real browser: a case page's letters, tracked actions and compensation, a
// letter printed from it (large print, notes for staff on screen and never on paper), and an
// Ombudsman order marked done through its form.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, checkPage, launch, startServer } from './support.mjs';

let server;
let officer;
let manager;
let senior;

before(async () => {
  server = await startServer();
  officer = server.token('Olive Officer', 'olive@p3.example', 'officer');
  manager = server.token('Ian Manager', 'ian@p3.example', 'investigating_manager');
  senior = server.token('Sam Senior', 'sam@p3.example', 'senior_manager');
});

after(async () => {
  await server?.stop();
});

async function ok(method, path, token, body) {
  const res = await api(server, method, path, { token, body });
  assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function inFuture(days) {
  return new Date(Date.now() + days * 24 * 3600 * 1000).toISOString().slice(0, 10);
}

test('a case file: letters to print, an order marked done, compensation, all accessible', async () => {
  const created = await ok('POST', '/staff/complaints', officer, {
    channel: 'phone',
    name: 'Sam <em>Tenant</em>',
    address: '4 Mill Lane\nLeeds',
    postcode: 'LS1 4AB',
    description: 'Damp in the bedroom. <script>alert(1)</script>',
  });
  const r = created.reference;
  const base = `/staff/complaints/${r}`;
  await ok('POST', `${base}/contact-preferences`, officer, { method: 'post', format: 'large_print', language: 'Polish' });
  await ok('POST', `${base}/representative`, officer, {
    name: 'Bo Advocate',
    email: 'bo@example.org',
    authorised_copies: true,
  });
  await ok('POST', `${base}/acknowledgement`, officer, {
    investigating_manager: 'ian@p3.example',
    complaint_points: ['Damp and mould'],
  });
  await ok('POST', `${base}/compensation`, manager, { amount_pence: 12550, reason: 'Damaged carpet' });
  await ok('POST', `${base}/ombudsman`, senior, { event: 'referred', detail: 'Ref 202600123' });
  await ok('POST', `${base}/ombudsman`, senior, { event: 'determination', detail: 'Maladministration' });
  await ok('POST', `${base}/ombudsman/orders`, senior, {
    description: 'Apologise in writing',
    due: inFuture(28),
    owner: 'ian@p3.example',
  });

  const b = await launch();
  try {
    const { page } = b;
    await page.goto(`${server.url}/staff/sign-in`);
    await page.getByLabel('Staff token').fill(manager);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/cases');
    await page.goto(`${server.url}/staff/cases/${r}`);
    await page.getByRole('heading', { name: 'Letters' }).waitFor();

    // The letter: the resident's copy by post, the representative's emailed (the local server's
    // outbox takes it at once).
    const letters = await page.locator('table', { has: page.getByRole('columnheader', { name: 'How each copy goes' }) }).innerText();
    assert.match(letters, /Resident \(Sam <em>Tenant<\/em>\): by post/);
    assert.match(letters, /Resident \(Sam <em>Tenant<\/em>\): by post Print and post/);
    assert.match(letters, /Representative \(Bo Advocate\): emailed to bo@example.org Sent/);
    assert.match(await page.locator('main').innerText(), /Offered, no answer yet/);
    assert.equal(await page.locator('main em, main script').count(), 0);
    // Only senior managers and auditors are offered the evidence pack.
    assert.equal(await page.getByRole('link', { name: 'Evidence pack' }).count(), 0);
    await checkPage(page, 'staff-case-file');

    // Mark the Ombudsman's order done: a mistake first, then the note.
    await page.locator('summary', { hasText: 'Mark action 1 as done' }).click();
    await page.getByRole('button', { name: 'Mark as done' }).click();
    await page.locator('.error-summary').waitFor();
    assert.match(await page.locator('.error-summary').innerText(), /what was done/i);
    await checkPage(page, 'staff-case-file-error');
    await page.getByLabel('What was done').fill('Apology letter sent on 1 May');
    await page.getByRole('button', { name: 'Mark as done' }).click();
    await page.locator('.banner--success').waitFor();
    assert.match(await page.locator('.banner--success').innerText(), /Action marked as done/);
    const row = page.locator('tr', { hasText: 'Apologise in writing' });
    assert.match(await row.innerText(), /Done/);
    assert.match(await row.innerText(), /Apology letter sent on 1 May/);

    // The letter as printed: large print, notes for staff on screen only.
    await page.getByRole('link', { name: /^1\. / }).click();
    await page.locator('article.letter').first().waitFor();
    assert.equal(await page.locator('article.letter--large').count(), 2, 'one large-print copy per addressee');
    const text = await page.locator('main').innerText();
    assert.match(text, /Sam <em>Tenant<\/em>/);
    assert.match(text, /4 Mill Lane/);
    assert.match(text, /LS1 4AB/);
    assert.match(text, new RegExp(`Our reference: ${r}`));
    assert.match(text, /translation of this letter into Polish/);
    assert.equal(await page.locator('main em, main script').count(), 0);
    await checkPage(page, 'staff-letter');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('.letter-notes').isVisible(), false, 'the notes are not printed');
    assert.equal(await page.locator('.letter-tools').isVisible(), false);
    assert.equal(await page.locator('article.letter').first().isVisible(), true);
    const size = await page.locator('article.letter').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(size >= 21, `large print is at least 16pt, got ${size}px`);
    await page.emulateMedia({ media: 'screen' });
  } finally {
    await b.close();
  }

  // A senior manager is offered the evidence pack; through the API, the order is met.
  const res = await api(server, 'GET', base, { token: senior });
  assert.equal(res.body.actions[0].status, 'met');
  assert.equal(res.body.actions[0].completed.by, 'ian@p3.example');
  const page = await fetch(`${server.url}/staff/cases/${r}`, { headers: { cookie: `p3_staff=${senior}` } });
  assert.match(await page.text(), /Evidence pack/);
});
