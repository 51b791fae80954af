// Residents' files without JavaScript, one at a time (issue 15 items 5 and 7), in a real
// browser with JavaScript off and the pages' real Content-Security-Policy: from the complaint
// form the resident goes to the files step, posts a 6 MB photo and a PDF straight into the
// upload inbox (each form's action is the inbox), is sent back to the step each time, which
// lists them, continues to the form, which carries them, and sends the complaint; then the
// Stage 2 request page's own files step. axe-core checks each page, seen without JavaScript,
// in a JavaScript-enabled browser (axe needs it) on the same HTML.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, checkA11yOfHtml, launch, screenshots, startServer } from './support.mjs';

/** A 6 MB PNG: its signature and header, then filler (the server tells it from its content). */
const BIG_PNG = Buffer.concat([
  Buffer.from('\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR', 'latin1'),
  Buffer.alloc(6 * 1024 * 1024, 7),
]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n', 'latin1');

let server;
let officer;
let manager;

before(async () => {
  server = await startServer();
  officer = server.token('Olive Officer', 'olive@p3.example', 'officer');
  manager = server.token('Ian Manager', 'ian@p3.example', 'investigating_manager');
});

after(async () => {
  await server?.stop();
});

async function ok(res, status = 200) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res.body;
}

/** Posts one file from the files step and waits to be sent back to it, listing the file. */
async function upload(page, file) {
  const action = await page.locator('form[enctype="multipart/form-data"]').getAttribute('action');
  assert.match(action, /\/uploads\/[0-9a-f]{20}$/, 'the form posts straight into the inbox');
  await page.getByLabel(/Choose (a|another) file/).setInputFiles([file]);
  await page.getByRole('button', { name: 'Upload this file' }).click();
  await page.getByRole('heading', { name: 'Files added' }).waitFor();
  await page.locator('.summary-list__key', { hasText: file.name }).waitFor();
  assert.doesNotMatch(page.url(), new RegExp(file.name.replace('.', '\\.')), 'no file name in the address');
}

test('without JavaScript a resident adds a 6 MB photo and a PDF one at a time, then sends the complaint', async () => {
  const b = await launch({ javaScriptEnabled: false, bypassCSP: false });
  const checker = await launch();
  try {
    const { page } = b;
    const check = async (name) => {
      await checkA11yOfHtml(checker, page.url(), await page.content(), `${name} (no JavaScript)`);
      await screenshots(page, name);
    };
    await page.goto(server.url + '/');
    await page.getByRole('link', { name: 'Add files first' }).click();
    await page.getByRole('heading', { name: 'Add photos or documents' }).waitFor();
    await check('files-step-empty');

    await upload(page, { name: 'bedroom wall.png', mimeType: 'image/png', buffer: BIG_PNG });
    assert.match(await page.locator('main').innerText(), /6\.0 MB/);
    await upload(page, { name: 'survey.pdf', mimeType: 'application/pdf', buffer: PDF });
    await check('files-step-two-files');

    await page.getByRole('link', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Files you are sending' }).waitFor();
    const main = await page.locator('main').innerText();
    assert.match(main, /bedroom wall\.png \(6\.0 MB\)/);
    assert.match(main, /survey\.pdf/);
    await check('form-with-files-from-the-step');
    await page.getByLabel('What is your complaint about?').fill('Black mould is spreading on the bedroom wall.');
    await page.getByLabel('Email address').fill('rosa@example.org');
    await page.getByRole('button', { name: 'Send complaint' }).click();
    await page.getByRole('heading', { name: 'Complaint received' }).waitFor();
    const reference = (await page.locator('#reference').innerText()).trim();
    const code = (await page.locator('#access-code').innerText()).trim();

    const staff = await ok(await api(server, 'GET', `/staff/complaints/${reference}`, { token: officer }));
    assert.deepEqual(staff.attachments.map((a) => a.filename), ['bedroom wall.png', 'survey.pdf']);
    assert.equal(staff.attachments[0].size, BIG_PNG.length);

    // The case page links each file to its download.
    await page.goto(`${server.url}/complaints/${reference}?code=${encodeURIComponent(code)}`);
    await page.getByRole('heading', { name: 'Files you sent us' }).waitFor();
    const href = await page.getByRole('link', { name: 'survey.pdf' }).getAttribute('href');
    const got = await api(server, 'GET', href);
    assert.equal(got.status, 200);
    await check('resident-case-with-downloads');
  } finally {
    await b.close();
    await checker.close();
  }
});

test('without JavaScript a resident adds a file to their Stage 2 request on its own files step', async () => {
  const created = await ok(await api(server, 'POST', '/complaints', {
    body: { email: 'sam@example.org', description: 'The boiler has failed again.' },
  }), 201);
  const r = created.reference;
  const code = created.access_code;
  await ok(await api(server, 'POST', `/staff/complaints/${r}/acknowledgement`, {
    token: officer, body: { investigating_manager: 'ian@p3.example', complaint_points: ['Boiler'] },
  }));
  await ok(await api(server, 'POST', `/staff/complaints/${r}/stage1-response`, {
    token: manager,
    body: {
      outcome: 'not_upheld',
      summary: 'The boiler was repaired.',
      point_decisions: [{ point: 'Boiler', decision: 'not_upheld', reason: 'Repaired in May.' }],
    },
  }));

  const b = await launch({ javaScriptEnabled: false, bypassCSP: false });
  const checker = await launch();
  try {
    const { page } = b;
    const check = async (name) => {
      await checkA11yOfHtml(checker, page.url(), await page.content(), `${name} (no JavaScript)`);
      await screenshots(page, name);
    };
    await page.goto(`${server.url}/complaints/${r}/stage2?code=${encodeURIComponent(code)}`);
    await page.getByRole('link', { name: 'Add files first' }).click();
    await page.getByRole('heading', { name: 'Add photos or documents' }).waitFor();
    await upload(page, { name: 'engineer report.pdf', mimeType: 'application/pdf', buffer: PDF });
    await check('stage2-files-step');
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Files you are sending' }).waitFor();
    await page.getByLabel(/Why are you unhappy/).fill('It failed again a week later.');
    await page.getByRole('button', { name: 'Ask for a review' }).click();
    await page.getByRole('heading', { name: 'Your review (Stage 2)' }).waitFor();
    assert.match(await page.locator('main').innerText(), /engineer report\.pdf/);

    const staff = await ok(await api(server, 'GET', `/staff/complaints/${r}`, { token: officer }));
    assert.equal(staff.status, 'stage2_requested');
    assert.deepEqual(staff.attachments.map((a) => a.filename), ['engineer report.pdf']);
  } finally {
    await b.close();
    await checker.close();
  }
});
