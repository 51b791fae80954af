// A resident's journeys in a real browser: the complaint form with its error summary (with and
// without JavaScript), the confirmation, their case page and the request for Stage 2.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  api,
  checkA11yOfHtml,
  checkPage,
  launch,
  newComplaint,
  screenshots,
  startServer,
} from './support.mjs';

let server;
let officer;

before(async () => {
  server = await startServer();
  officer = server.token('Olive Officer', 'olive@p3.example', 'officer');
});

after(async () => {
  await server?.stop();
});

/** Fills the form with a mistake, checks the error summary, corrects it and sends it. */
async function sendFormWithOneMistake(page, { check, label }) {
  await page.goto(server.url + '/');
  await check(`${label}form`);
  assert.equal(await page.title(), 'Make a complaint - P3 Housing complaints');
  // The dates to expect are worked out from today on the service's calendar.
  const next = await page.locator('.inset').first().innerText();
  assert.match(next, /acknowledge it by \w+day \d{1,2} \w+ \d{4} \(within 5 working days\)/);
  assert.match(next, /full response by \w+day \d{1,2} \w+ \d{4} \(within 10 working days\)/);

  // No description, and an email address with a mistake in it.
  await page.getByLabel('Your full name (optional)').fill('Ada <b>Resident</b>');
  await page.getByLabel('Email address').fill('ada.example.org');
  await page.getByLabel('Phone number').fill('07700 900 982');
  await page.getByLabel('Which topic is closest to your complaint? (optional)').selectOption('repairs');
  await page.getByLabel('I rent my home').check();
  await page.getByRole('button', { name: 'Send complaint' }).click();

  // The error summary: at the top, each error linked to its field, repeated at the field.
  const summary = page.locator('.error-summary');
  await summary.waitFor();
  assert.equal(await page.title(), 'Error: Make a complaint - P3 Housing complaints');
  assert.match(await summary.innerText(), /There is a problem/);
  const links = summary.locator('a');
  assert.equal(await links.count(), 2);
  assert.equal(await links.nth(0).getAttribute('href'), '#description');
  assert.equal(await links.nth(1).getAttribute('href'), '#email');
  assert.match(await page.locator('#description-error').innerText(), /Error:/);
  assert.match(await page.locator('#email-error').innerText(), /email address in the correct format/);
  assert.equal(await page.locator('#email').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#email').getAttribute('aria-describedby'), /email-error/);
  // Values kept, and what was typed is shown as text, never as markup.
  assert.equal(await page.getByLabel('Your full name (optional)').inputValue(), 'Ada <b>Resident</b>');
  assert.equal(await page.getByLabel('Email address').inputValue(), 'ada.example.org');
  assert.equal(await page.getByLabel('Which topic is closest to your complaint? (optional)').inputValue(), 'repairs');
  assert.ok(await page.getByLabel('I rent my home').isChecked());
  assert.equal(await page.locator('b').count(), 0);
  await check(`${label}form-errors`);

  // The summary's link takes the resident to the field.
  await links.nth(0).click();
  assert.equal(await page.evaluate(() => location.hash), '#description');

  await page.getByLabel('What is your complaint about?').fill('The lift at Marsh House has been broken for two weeks <script>alert(1)</script>');
  await page.getByLabel('Email address').fill('ada@example.org');
  await page.getByRole('button', { name: 'Send complaint' }).click();

  await page.getByRole('heading', { name: 'Complaint received' }).waitFor();
  const reference = (await page.locator('#reference').innerText()).trim();
  const code = (await page.locator('#access-code').innerText()).trim();
  assert.match(reference, /^CMP-\d{4}-\d+$/);
  assert.ok(code.length >= 10, `access code shown: ${code}`);
  const dates = await page.locator('.summary-list').nth(1).innerText();
  assert.match(dates, /acknowledge your complaint by\s+\w+day \d{1,2} \w+ \d{4}/);
  await check(`${label}confirmation`);

  // The case exists through the staff API, with what the resident typed kept as text.
  const res = await api(server, 'GET', `/staff/complaints/${reference}`, { token: officer });
  assert.equal(res.status, 200);
  assert.equal(res.body.reference, reference);
  assert.equal(res.body.channel, 'web');
  assert.equal(res.body.name, 'Ada <b>Resident</b>');
  assert.equal(res.body.category, 'repairs');
  assert.match(res.body.description, /Marsh House/);
  return { reference, code };
}

describe('the complaint form', () => {
  test('a resident corrects an error and sends the form (JavaScript on)', async () => {
    const b = await launch();
    try {
      await sendFormWithOneMistake(b.page, { check: (name) => checkPage(b.page, name), label: '' });
    } finally {
      await b.close();
    }
  });

  test('a resident corrects an error and sends the form with JavaScript off', async () => {
    const b = await launch({ javaScriptEnabled: false });
    const checker = await launch();
    try {
      // axe needs JavaScript: it checks the same HTML in a JavaScript-enabled browser.
      const check = async (name) => {
        await checkA11yOfHtml(checker, b.page.url(), await b.page.content(), `${name} (no JavaScript)`);
        await screenshots(b.page, name);
      };
      await sendFormWithOneMistake(b.page, { check, label: 'nojs-' });
    } finally {
      await b.close();
      await checker.close();
    }
  });
});

describe('the resident case page', () => {
  test('a resident opens their case with the code and asks for Stage 2', async () => {
    const { reference, code } = await newComplaint(server, { description: 'Nobody came to fix the boiler <i>again</i>.' });
    const manager = server.token('Ian Manager', 'ian@p3.example', 'investigating_manager');
    let res = await api(server, 'POST', `/staff/complaints/${reference}/acknowledgement`, {
      token: officer,
      body: { investigating_manager: 'ian@p3.example', complaint_points: ['The boiler was not repaired'] },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    res = await api(server, 'POST', `/staff/complaints/${reference}/stage1-response`, {
      token: manager,
      body: {
        outcome: 'partly_upheld',
        summary: 'We agree the repair took too long. <b>We are sorry.</b>',
        remedy: 'An engineer will replace the boiler.',
        point_decisions: [{ point: 'The boiler was not repaired', decision: 'partly_upheld', reason: 'It was repaired, but late.' }],
        actions: [{ description: 'Replace the boiler', due: '2099-01-31' }],
      },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'responded');

    const b = await launch();
    try {
      const { page } = b;
      // A wrong code is the same "not found" as an unknown reference.
      const wrong = await page.goto(`${server.url}/complaints/${reference}?code=WRONG-CODE`);
      assert.equal(wrong.status(), 404);
      await page.getByRole('heading', { name: 'We could not find that complaint' }).waitFor();
      await checkPage(page, 'case-not-found');

      const ok = await page.goto(`${server.url}/complaints/${reference}?code=${encodeURIComponent(code)}`);
      assert.equal(ok.status(), 200);
      assert.equal(ok.headers()['cache-control'], 'no-store, private');
      await page.getByRole('heading', { name: 'Your complaint' }).waitFor();
      const text = await page.locator('main').innerText();
      assert.match(text, /We have responded/);
      assert.match(text, /Partly upheld/);
      assert.match(text, /We agree the repair took too long\. <b>We are sorry\.<\/b>/);
      assert.match(text, /Replace the boiler, by \w+day 31 January 2099/);
      assert.match(text, /PO Box 152, Liverpool L33 7WQ/);
      assert.match(text, /Please ask by \w+day \d{1,2} \w+ \d{4}/);
      assert.equal(await page.locator('main b').count(), 0);
      await checkPage(page, 'case-responded');

      // The page for asking for Stage 2.
      await page.goto(`${server.url}/complaints/${reference}/stage2?code=${encodeURIComponent(code)}`);
      await page.getByRole('heading', { name: 'Ask for a review of your complaint' }).waitFor();
      await checkPage(page, 'stage2-request');
      assert.match(await page.locator('main').innerText(), /within 5 working days .* within 20 working days of acknowledging it/);
      // Too long a reason: the same page with the error summary, the text kept.
      const reason = page.getByLabel('Why are you unhappy with our response? (optional)');
      await reason.fill('x'.repeat(5001));
      await page.getByRole('button', { name: 'Ask for a review' }).click();
      await page.locator('.error-summary').waitFor();
      assert.equal(await page.locator('.error-summary a').getAttribute('href'), '#reason');
      assert.equal((await reason.inputValue()).length, 5001);
      await checkPage(page, 'stage2-request-error');
      await reason.fill('The boiler is still not fixed & it is cold.');
      await page.getByRole('button', { name: 'Ask for a review' }).click();

      // Back on the case page, at Stage 2.
      await page.waitForURL((u) => u.pathname === `/complaints/${reference}`);
      await page.getByRole('heading', { name: 'Your review (Stage 2)' }).waitFor();
      assert.match(await page.locator('main').innerText(), /You asked for a review \(Stage 2\)/);
      await checkPage(page, 'case-stage2-requested');
    } finally {
      await b.close();
    }
    const after = await api(server, 'GET', `/staff/complaints/${reference}`, { token: officer });
    assert.equal(after.body.status, 'stage2_requested');
    assert.equal(after.body.stage, 2);
  });
});
