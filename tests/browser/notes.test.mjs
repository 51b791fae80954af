// Notes and the correspondence log on the staff case page, in a real browser with JavaScript
// off: a note added, a log entry refused with its error next to the field and then logged, all
// through plain HTML forms (post, redirect, get); axe-core checks each page, the ones seen
// without JavaScript in a JavaScript-enabled browser (axe needs it) on the very same HTML.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, checkA11yOfHtml, checkPage, launch, screenshots, startServer } from './support.mjs';

let server;
let officer;

before(async () => {
  server = await startServer();
  officer = server.token('Olive Officer', 'olive@p3.example', 'officer');
});

after(async () => {
  await server?.stop();
});

test('staff add a note and log correspondence without JavaScript', async () => {
  const res = await api(server, 'POST', '/staff/complaints', {
    token: officer,
    body: { channel: 'phone', name: 'Sam <em>Tenant</em>', phone: '01632 960001', description: 'The lift has been broken for a month.' },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const r = res.body.reference;

  const b = await launch({ javaScriptEnabled: false });
  const checker = await launch();
  try {
    const { page } = b;
    const check = async (name) => {
      await checkA11yOfHtml(checker, page.url(), await page.content(), `${name} (no JavaScript)`);
      await screenshots(page, name);
    };
    await page.goto(`${server.url}/staff/sign-in`);
    await page.getByLabel('Staff token').fill(officer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/cases');
    await page.goto(`${server.url}/staff/cases/${r}`);
    await page.getByRole('heading', { name: 'Notes', exact: true }).waitFor();

    // A note: the details open natively, the form posts, the page comes back with it.
    await page.locator('summary', { hasText: 'Add a note' }).click();
    await page.locator('#note').getByLabel('Note', { exact: true }).fill('Sam\'s <b>neighbour</b> says the lift broke on Monday.');
    await page.getByRole('button', { name: 'Add the note' }).click();
    await page.locator('.banner--success').waitFor();
    assert.match(await page.locator('.banner--success').innerText(), /Note added/);
    assert.match(await page.locator('[id^="case-note-"]').first().innerText(), /Sam's <b>neighbour<\/b> says the lift broke on Monday\./);
    assert.equal(await page.locator('main b, main em').count(), 0, 'what staff typed is escaped');

    // Correspondence with no summary: the error summary and the message by the field.
    await page.locator('summary', { hasText: 'Log correspondence' }).click();
    const form = page.locator('#correspondence');
    await form.getByLabel('Received from the resident, their representative or a contractor').check();
    await form.getByLabel('How', { exact: true }).selectOption('email');
    await page.getByRole('button', { name: 'Log it' }).click();
    await page.locator('.error-summary').waitFor();
    assert.match(await page.locator('.error-summary').innerText(), /summary/i);
    assert.match(await page.locator('#correspondence-summary-error').innerText(), /summary/i);
    assert.equal(await form.getByLabel('How', { exact: true }).inputValue(), 'email', 'the channel is kept');
    await check('staff-correspondence-error');

    await form.getByLabel('Summary', { exact: true }).fill('Email from Sam with two photos of the lift notice.');
    await page.getByRole('button', { name: 'Log it' }).click();
    await page.locator('.banner--success').waitFor();
    assert.match(await page.locator('.banner--success').innerText(), /Correspondence logged/);
    const log = await page.locator('#correspondence-log + p + .table-wrap').innerText();
    assert.match(log, /Received: email/);
    assert.match(log, /two photos of the lift notice/);
    await check('staff-notes-and-correspondence');
  } finally {
    await b.close();
    await checker.close();
  }

  // With JavaScript on, the page with both records is as accessible.
  const js = await launch();
  try {
    await js.page.goto(`${server.url}/staff/sign-in`);
    await js.page.getByLabel('Staff token').fill(officer);
    await js.page.getByRole('button', { name: 'Sign in' }).click();
    await js.page.waitForURL((u) => u.pathname === '/staff/cases');
    await js.page.goto(`${server.url}/staff/cases/${r}`);
    await checkPage(js.page, 'staff-case-notes');
  } finally {
    await js.close();
  }

  const after = await api(server, 'GET', `/staff/complaints/${r}`, { token: officer });
  assert.equal(after.body.notes.length, 1);
  assert.equal(after.body.correspondence[0].channel, 'email');
});
