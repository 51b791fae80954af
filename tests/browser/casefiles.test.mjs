// Files, correspondence naming them and corrected notes on the staff case page, in a real
// browser with JavaScript off and on: a file sent by the "Add a file" form straight into the
// upload inbox, then described and added on the confirm page the inbox sends the browser to
// (no file chosen is stopped by the browser, a name that lies about its content is shown on
// the confirm page with the error summary naming the file), correspondence logged with the file ticked, a note and a correction naming it; an auditor sees the forms are not for their role. axe-core checks
// every page, those seen without JavaScript on the very same HTML in a JavaScript browser.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, checkA11yOfHtml, checkPage, launch, screenshots, startServer } from './support.mjs';

let server;
let officer;
let auditor;

before(async () => {
  server = await startServer();
  officer = server.token('Olive Officer', 'olive@p3.example', 'officer');
  auditor = server.token('Audrey Auditor', 'audrey@p3.example', 'auditor');
});

after(async () => {
  await server?.stop();
});

/** A PNG the server recognises from its signature and header. */
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR', 'latin1'), Buffer.from([...Array(64).keys()])]);

async function complaint() {
  const res = await api(server, 'POST', '/staff/complaints', {
    token: officer,
    body: { channel: 'phone', name: 'Sam Tenant', phone: '01632 960001', description: 'Damp in the back bedroom since October.' },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.reference;
}

async function signIn(page, token) {
  await page.goto(`${server.url}/staff/sign-in`);
  await page.getByLabel('Staff token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === '/staff/cases');
}

/**
 * Chooses a file in the "Add a file" form and sends it: the form posts it straight into the
 * upload inbox, which sends the browser on to the confirm page. Resolves with the inbox's
 * answer's status (303 when the file is in, the confirm page then loaded).
 */
async function sendFile(page, file) {
  const form = page.locator('#attachment');
  if (!(await form.evaluate((d) => d.open))) await page.locator('summary', { hasText: 'Add a file' }).click();
  await form.getByLabel('File', { exact: true }).setInputFiles(file);
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/uploads/'));
  await page.getByRole('button', { name: 'Send the file' }).click();
  const status = (await answer).status();
  await page.waitForLoadState();
  return status;
}

/** On the confirm page: says what the file is and adds it; resolves with the answer's status. */
async function confirmFile(page, description) {
  if (description !== undefined) await page.getByLabel('What is it? (optional)').fill(description);
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/attachments/new'));
  await page.getByRole('button', { name: 'Add the file' }).click();
  const status = (await answer).status();
  await page.waitForLoadState();
  return status;
}

for (const javaScriptEnabled of [false, true]) {
  const how = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';
  test(`staff add a file, log correspondence with it and correct a note ${how}`, async () => {
    const r = await complaint();
    // Without JavaScript the page's own policy applies (it must let the form post into the
    // inbox); with it, axe-core is injected past the policy.
    const b = await launch({ javaScriptEnabled, bypassCSP: javaScriptEnabled });
    const checker = javaScriptEnabled ? null : await launch();
    const tag = javaScriptEnabled ? 'js' : 'nojs';
    const check = async (name) => {
      if (javaScriptEnabled) await checkPage(b.page, `${name}-${tag}`);
      else {
        await checkA11yOfHtml(checker, b.page.url(), await b.page.content(), `${name} (no JavaScript)`);
        await screenshots(b.page, `${name}-${tag}`);
      }
    };
    try {
      const { page } = b;
      await signIn(page, officer);
      await page.goto(`${server.url}/staff/cases/${r}`);
      await page.getByRole('heading', { name: 'Attachments', exact: true }).waitFor();

      // The form says how long it lasts and what to do once it has expired.
      assert.match(await page.locator('#attachment-file-hint').textContent(), /This form lasts 30 minutes/);

      // No file chosen: the browser itself asks for one (the input is required), nothing is sent.
      if (!(await page.locator('#attachment').evaluate((d) => d.open))) await page.locator('summary', { hasText: 'Add a file' }).click();
      await page.getByRole('button', { name: 'Send the file' }).click();
      assert.equal(await page.locator('#attachment-file').evaluate((i) => i.validity.valueMissing), true);
      assert.match(new URL(page.url()).pathname, new RegExp(`^/staff/cases/${r}$`));

      // A name that claims another kind than the content: the confirm page says so, linked
      // from the error summary, offers no form and a way to choose another file.
      assert.equal(await sendFile(page, { name: 'damp.png', mimeType: 'image/png', buffer: Buffer.from('just some text\n') }), 303);
      assert.match(new URL(page.url()).pathname, new RegExp(`^/staff/cases/${r}/attachments/new$`));
      const summary = page.locator('.error-summary');
      await summary.waitFor();
      assert.match(await summary.innerText(), /PNG image/);
      assert.equal(await summary.locator('a').first().getAttribute('href'), '#attachment-file');
      assert.match(await page.locator('#attachment-file').innerText(), /PNG image/);
      assert.equal(await page.getByLabel('What is it? (optional)').count(), 0);
      await check('staff-file-refused');
      await page.getByRole('link', { name: 'Choose another file' }).click();
      await page.getByRole('heading', { name: 'Attachments', exact: true }).waitFor();

      // A real PNG: sent into the inbox, shown on the confirm page with its size, described,
      // then added, listed with its description and a download link.
      assert.equal(await sendFile(page, { name: 'back bedroom <b>damp.png', mimeType: 'image/png', buffer: PNG }), 303);
      const shown = await page.locator('main').innerText();
      assert.match(shown, /back bedroom <b>damp\.png/);
      assert.match(shown, /80 bytes/);
      await check('staff-file-confirm');
      assert.equal(await confirmFile(page, 'Photo from Sam'), 303);
      assert.match(await page.locator('.banner--success').innerText(), /File added/);
      const files = page.locator('#case-attachments ~ .table-wrap').first();
      assert.match(await files.innerText(), /back bedroom <b>damp\.png/);
      assert.match(await files.innerText(), /Photo from Sam/);
      assert.equal(await page.locator('main b').count(), 0, 'the file name is escaped');
      const link = files.getByRole('link', { name: 'back bedroom <b>damp.png' });
      assert.match(await link.getAttribute('href'), new RegExp(`^/staff/complaints/${r}/attachments/[0-9a-f]{20}$`));

      // Correspondence naming the file: ticked in the form, linked in the log.
      await page.locator('summary', { hasText: 'Log correspondence' }).click();
      const form = page.locator('#correspondence');
      await form.getByLabel('Received from the resident, their representative or a contractor').check();
      await form.getByLabel('How', { exact: true }).selectOption('email');
      await form.getByLabel('Summary', { exact: true }).fill('Email from Sam with the photo.');
      await form.getByLabel(/^back bedroom <b>damp\.png/).check();
      await page.getByRole('button', { name: 'Log it' }).click();
      await page.locator('.banner--success').waitFor();
      assert.match(await page.locator('.banner--success').innerText(), /Correspondence logged/);
      const log = page.locator('#correspondence-log ~ .table-wrap').first();
      assert.match(await log.innerText(), /Email from Sam with the photo\./);
      assert.equal(await log.getByRole('link', { name: 'back bedroom <b>damp.png' }).count(), 1);

      // A note, then a correction naming it.
      await page.locator('summary', { hasText: 'Add a note' }).click();
      await page.locator('#note').getByLabel('Note', { exact: true }).fill('Sam says the damp started in September.');
      await page.getByRole('button', { name: 'Add the note' }).click();
      await page.locator('.banner--success').waitFor();
      // Notes are numbered by their place in the case's history.
      const first = (await page.locator('[id^="case-note-"]').first().getAttribute('id')).replace('case-note-', '');
      await page.locator('summary', { hasText: 'Add a note' }).click();
      await page.locator('#note').getByLabel('Note', { exact: true }).fill('It started in October: Sam rang back to correct it.');
      await page.locator('#note').getByLabel('Does it correct a note?').selectOption(first);
      await page.getByRole('button', { name: 'Add the note' }).click();
      await page.locator('.banner--success').waitFor();
      const second = (await page.locator('[id^="case-note-"]').last().getAttribute('id')).replace('case-note-', '');
      assert.match(await page.locator(`#case-note-${second}`).innerText(), new RegExp(`Note ${second}, correcting note ${first}`));
      assert.match(await page.locator(`#case-note-${first}`).innerText(), new RegExp(`Corrected by note ${second}`));
      await check('staff-case-files');
    } finally {
      await b.close();
      await checker?.close();
    }

    const after = await api(server, 'GET', `/staff/complaints/${r}`, { token: officer });
    assert.equal(after.body.attachments.length, 1, 'only the good file was kept');
    assert.equal(after.body.correspondence[0].attachments[0], after.body.attachments[0].id);
    assert.equal(after.body.notes[1].corrects, after.body.notes[0].number);
  });
}

test('an auditor sees the files but not the forms, and cannot post one', async () => {
  const r = await complaint();
  const b = await launch({ javaScriptEnabled: false });
  const checker = await launch();
  try {
    const { page } = b;
    await signIn(page, auditor);
    await page.goto(`${server.url}/staff/cases/${r}`);
    const text = await page.locator('main').innerText();
    for (const line of ['Add a note: needs the officer role.', 'Log correspondence: needs the officer role.', 'Add a file: needs the officer role.']) {
      assert.ok(text.includes(line), `says "${line}"`);
    }
    assert.equal(await page.locator('#attachment').count(), 0);
    await checkA11yOfHtml(checker, page.url(), await page.content(), 'staff-case-auditor (no JavaScript)');
  } finally {
    await b.close();
    await checker.close();
  }
  // The form posted anyway (from a page opened before the role changed): refused, and nothing
  // is kept.
  const pageHtml = await (await fetch(`${server.url}/staff/cases/${r}`, { headers: { authorization: `Bearer ${auditor}` } })).text();
  const csrf = pageHtml.match(/name="csrf_token" value="([0-9a-f]+)"/)[1];
  const res = await fetch(`${server.url}/staff/cases/${r}/attachments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${auditor}` },
    body: (() => {
      const f = new FormData();
      f.append('csrf_token', csrf);
      f.append('file', new Blob(['hello\n'], { type: 'text/plain' }), 'note.txt');
      return f;
    })(),
    redirect: 'manual',
  });
  assert.equal(res.status, 403);
  assert.match(await res.text(), /officer/);
  const after = await api(server, 'GET', `/staff/complaints/${r}`, { token: auditor });
  assert.equal((after.body.attachments ?? []).length, 0);
});
