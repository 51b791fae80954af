// The annual cycle's pages in a real browser with JavaScript off (issue 16 items 7 and 8): a
// senior manager reaches the self-assessment from the staff navigation, writes a requirement's
// commentary and action plan (an error first, linked to its field), records the governing
// body's response, and opens the quarterly summary; axe-core checks each page, seen without
// JavaScript, in a JavaScript-enabled browser (axe needs it) on the same HTML.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkA11yOfHtml, launch, screenshots, startServer } from './support.mjs';

let server;
let head;

before(async () => {
  server = await startServer();
  head = server.token('Hannah Head', 'hannah@p3.example', 'senior_manager');
});

after(async () => {
  await server?.stop();
});

test('a senior manager writes the self-assessment and the governing body response from the pages', async () => {
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

    const nav = page.getByRole('navigation', { name: 'Staff' });
    assert.equal(await nav.getByRole('link', { name: 'Service requests' }).count(), 1);
    assert.equal(await nav.getByRole('link', { name: 'Quarterly summary' }).count(), 1);
    await nav.getByRole('link', { name: 'Self-assessment' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/self-assessment');
    await page.getByRole('heading', { level: 1, name: /Self-assessment against the Complaint Handling Code/ }).waitFor();
    await page.goto(`${server.url}/staff/self-assessment?year=2025`);
    await check('self-assessment');

    const plan = page.getByLabel('Our action plan for requirement 5.6');
    await page.getByLabel('Our commentary on requirement 5.6').fill('Every acknowledgement sets out the points.');
    await plan.fill('x'.repeat(20001));
    await page.getByRole('button', { name: 'Save requirement 5.6' }).click();
    const summary = page.locator('.error-summary');
    await summary.waitFor();
    assert.equal(await summary.locator('a[href="#req-5-6-action_plan"]').count(), 1);
    assert.match(await page.title(), /^Error: Self-assessment/);
    await check('self-assessment-error');

    await page.getByLabel('Our action plan for requirement 5.6').fill('Train new officers by June.');
    await page.getByRole('button', { name: 'Save requirement 5.6' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/self-assessment' && u.hash === '#req-5-6');
    assert.equal(await page.getByLabel('Our commentary on requirement 5.6').inputValue(), 'Every acknowledgement sets out the points.');
    assert.match(await page.locator('#req-5-6').innerText(), /Last written by hannah@p3\.example/);

    await page.getByRole('link', { name: /governing body's response/ }).click();
    await page.waitForURL((u) => u.pathname === '/staff/governing-body-response');
    await check('governing-body-response');
    await page.getByLabel('What the governing body said').fill('The board accepted the report.');
    await page.getByLabel(/The date of the meeting/).fill('2026-07-15');
    await page.getByRole('button', { name: 'Record the response' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/governing-body-response');
    assert.match(await page.locator('main').innerText(), /Given on Wednesday 15 July 2026\./);
    await check('governing-body-response-recorded');

    await page.goto(`${server.url}/staff/quarterly-report?year=2025&quarter=1`);
    assert.match(await page.locator('body').innerText(), /2025/);
  } finally {
    await b.close();
    await checker.close();
  }
});
