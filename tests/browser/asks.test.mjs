// The public form's optional questions in a real browser with JavaScript off (issue 16 item 4):
// someone complaining for a resident without ticking the resident's consent is sent back with
// the error linked to the checkbox and every answer kept; ticked, the complaint is received and
// staff see the representative, the adjustments and the large print on the case. axe-core
// checks each page, the ones seen without JavaScript in a JavaScript-enabled browser (axe needs
// it) on the very same HTML.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, checkA11yOfHtml, launch, screenshots, startServer } from './support.mjs';

let server;
let officer;

before(async () => {
  server = await startServer();
  officer = server.token('Olive Officer', 'olive@p3.example', 'officer');
});

after(async () => {
  await server?.stop();
});

test('a son complains for his mother, with her consent, asking for large print by post', async () => {
  const b = await launch({ javaScriptEnabled: false });
  const checker = await launch();
  try {
    const { page } = b;
    const check = async (name) => {
      await checkA11yOfHtml(checker, page.url(), await page.content(), `${name} (no JavaScript)`);
      await screenshots(page, name);
    };
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Complaining for someone else' }).waitFor();
    await check('public-form-asks');

    await page.getByLabel('What is your complaint about?').fill('My mother has had no heating since October.');
    await page.getByLabel('Your full name (optional)').fill('May Resident');
    await page.getByLabel('Postal address').fill('4 Marsh House, Liverpool');
    await page.getByLabel('Name of the person complaining for the resident').fill('Ben <b>Resident</b>');
    await page.getByLabel('Their relationship to the resident (optional)').fill('Son');
    await page.getByLabel('Is there anything we can do to make this easier for you? (optional)').fill('Phone my son before visiting.');
    await page.getByLabel('By post').check();
    await page.getByLabel('Large print').check();
    await page.getByRole('button', { name: 'Send complaint' }).click();

    // No consent: the one error, linked to the checkbox; every answer kept, escaped.
    const summary = page.locator('.error-summary');
    await summary.waitFor();
    const links = summary.locator('a');
    assert.equal(await links.count(), 1);
    assert.equal(await links.nth(0).getAttribute('href'), '#representative_consent');
    assert.match(await page.locator('#representative_consent-error').innerText(), /agrees/);
    assert.equal(await page.locator('#representative_consent').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Name of the person complaining for the resident').inputValue(), 'Ben <b>Resident</b>');
    assert.equal(await page.getByLabel('Is there anything we can do to make this easier for you? (optional)').inputValue(), 'Phone my son before visiting.');
    assert.ok(await page.getByLabel('By post').isChecked());
    assert.ok(await page.getByLabel('Large print').isChecked());
    assert.equal(await page.locator('main b').count(), 0);
    await check('public-form-asks-error');

    await page.getByLabel(/The resident agrees to me complaining for them/).check();
    await page.getByRole('button', { name: 'Send complaint' }).click();
    await page.getByRole('heading', { name: 'Complaint received' }).waitFor();
    const reference = (await page.locator('#reference').innerText()).trim();

    const { status, body } = await api(server, 'GET', `/staff/complaints/${reference}`, { token: officer });
    assert.equal(status, 200);
    assert.equal(body.representative.name, 'Ben <b>Resident</b>');
    assert.equal(body.representative.authorised_copies, true);
    assert.equal(body.needs.adjustments, 'Phone my son before visiting.');
    assert.equal(body.contact.method, 'post');
    assert.equal(body.contact.format, 'large_print');
  } finally {
    await b.close();
    await checker.close();
  }
});
