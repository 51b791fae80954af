// Logging a complaint made by phone, letter or in person, and a service request, from the staff
// pages in a real browser with JavaScript off: the form refused with its errors linked to the
// fields and the values kept, then logged through plain HTML forms (post, redirect, get); axe-core
// checks each page, the ones seen without JavaScript in a JavaScript-enabled browser (axe needs
// it) on the very same HTML.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkA11yOfHtml, launch, screenshots, startServer } from './support.mjs';

let server;
let officer;

before(async () => {
  server = await startServer();
  officer = server.token('Olive Officer', 'olive@p3.example', 'officer');
});

after(async () => {
  await server?.stop();
});

test('staff log a complaint made by letter and a service request without JavaScript', async () => {
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

    // From the case list to the form.
    await page.getByRole('link', { name: 'Log a complaint' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/complaints/new');
    await page.getByRole('heading', { name: 'Log a complaint', level: 1 }).waitFor();
    await check('staff-log-complaint');

    // No channel, no description: both named in the summary, each linked to its field.
    await page.getByLabel('Full name').fill('Cy <b>Writer</b>');
    await page.getByLabel('Email address', { exact: true }).fill('cy@example.org');
    await page.getByRole('button', { name: 'Log the complaint' }).click();
    await page.locator('.error-summary').waitFor();
    const summary = page.locator('.error-summary');
    assert.equal(await summary.locator('a[href="#complaint-channel"]').count(), 1);
    assert.equal(await summary.locator('a[href="#complaint-description"]').count(), 1);
    assert.match(await page.title(), /^Error: Log a complaint/);
    assert.equal(await page.getByLabel('Full name').inputValue(), 'Cy <b>Writer</b>', 'the name is kept');
    await check('staff-log-complaint-error');

    await page.getByLabel('How was the complaint made?').selectOption('letter');
    await page.getByLabel('What is the complaint about?').fill('Nobody has answered my letters about the damp bedroom wall.');
    await page.getByLabel('Topic (optional)').selectOption('damp_and_mould');
    await page.getByRole('button', { name: 'Log the complaint' }).click();
    await page.waitForURL((u) => /^\/staff\/cases\/CMP-\d{4}-\d{5}$/.test(u.pathname));
    assert.match(await page.locator('h1').innerText(), /CMP-\d{4}-\d{5}/);
    assert.equal(await page.locator('main b').count(), 0, 'what staff typed is escaped');

    // A service request: logged, and the form again with its id.
    await page.goto(`${server.url}/staff/service-requests/new`);
    await page.getByLabel('What is the resident asking for?').fill('The bathroom extractor fan does not work.');
    await page.getByLabel('Full name').fill('Di Tenant');
    await page.getByLabel('Phone number').fill('07700 900123');
    await page.getByRole('button', { name: 'Log the service request' }).click();
    await page.locator('.banner--success').waitFor();
    assert.match(await page.locator('.banner--success').innerText(), /Service request SR-\d{4}-\d{5} logged/);
    await check('staff-log-service-request-done');
  } finally {
    await b.close();
    await checker.close();
  }
});
