// The Head of Tenant Services reviews service requests in a real browser with JavaScript off
// (issue 16 item 5): the list by status with each request's age, the review page, closing one
// without a note (the error linked to the field), then with one; axe-core checks each page, the
// ones seen without JavaScript in a JavaScript-enabled browser (axe needs it) on the same HTML.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, checkA11yOfHtml, launch, screenshots, startServer } from './support.mjs';

let server;
let officer;
let head;

before(async () => {
  server = await startServer();
  officer = server.token('Olive Officer', 'olive@p3.example', 'officer');
  head = server.token('Hannah Head', 'hannah@p3.example', 'senior_manager');
});

after(async () => {
  await server?.stop();
});

test('the Head of Tenant Services lists open service requests and closes one with a note', async () => {
  const logged = await api(server, 'POST', '/staff/service-requests', {
    token: officer,
    body: { description: 'The bathroom extractor fan does not work.', name: 'Di Tenant', phone: '07700 900123' },
  });
  assert.equal(logged.status, 201);
  const id = logged.body.id;

  const b = await launch({ javaScriptEnabled: false });
  const checker = await launch();
  try {
    const { page } = b;
    const check = async (name) => {
      await checkA11yOfHtml(checker, page.url(), await page.content(), `${name} (no JavaScript)`);
      await screenshots(page, name);
    };
    await page.goto(`${server.url}/staff/sign-in`);
    await page.getByLabel('Staff token').fill(head);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/cases');

    await page.goto(`${server.url}/staff/service-requests/review?status=open`);
    await page.getByRole('heading', { name: 'Service requests', level: 1 }).waitFor();
    const row = page.locator('tbody tr').filter({ hasText: id });
    assert.match(await row.innerText(), /Open/);
    assert.match(await row.innerText(), /extractor fan/);
    await check('service-requests-open');

    await row.getByRole('link', { name: id }).click();
    await page.waitForURL((u) => u.pathname === `/staff/service-requests/${id}/review`);
    await check('service-request-review');

    // No note: the error summary links to the note.
    await page.getByRole('button', { name: 'Close the service request' }).click();
    const summary = page.locator('.error-summary');
    await summary.waitFor();
    assert.equal(await summary.locator('a[href="#close-note"]').count(), 1);
    assert.match(await page.title(), /^Error: Service request/);
    await check('service-request-review-error');

    await page.getByLabel('Why it is closed and what was done').fill('Fan replaced on 3 December.');
    await page.getByRole('button', { name: 'Close the service request' }).click();
    await page.waitForURL((u) => u.pathname === `/staff/service-requests/${id}/review`);
    assert.match(await page.locator('.summary-list').innerText(), /Fan replaced on 3 December\./);
    assert.equal(await page.getByRole('button', { name: 'Close the service request' }).count(), 0);

    await page.goto(`${server.url}/staff/service-requests/review?status=closed`);
    assert.match(await page.locator('tbody').innerText(), new RegExp(id));
  } finally {
    await b.close();
    await checker.close();
  }
});
