// Residents' files and the support-services Stage 3 in a real browser with JavaScript off
// (issue 15 item 5, issue 16 item 6): a resident sends a photo with the public form and sees it
// listed on their case page; a file whose content is not what its name says is refused next to
// the file input; a support-services complaint answered at Stage 2 offers the final review on
// the resident's case page, which takes a document too; the staff case page then offers the
// Stage 3 actions. axe-core checks each page, seen without JavaScript, in a JavaScript-enabled
// browser (axe needs it) on the same HTML.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, checkA11yOfHtml, launch, screenshots, startServer } from './support.mjs';

/** A PNG the server recognises from its signature and header. */
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR', 'latin1'), Buffer.from([...Array(64).keys()])]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n', 'latin1');

let server;
let officer;
let manager;
let senior;

before(async () => {
  server = await startServer();
  officer = server.token('Olive Officer', 'olive@p3.example', 'officer');
  manager = server.token('Ian Manager', 'ian@p3.example', 'investigating_manager');
  senior = server.token('Hannah Head', 'hannah@p3.example', 'senior_manager');
});

after(async () => {
  await server?.stop();
});

function answer(point, outcome) {
  return {
    outcome,
    summary: `We looked at: ${point}.`,
    point_decisions: [{ point, decision: outcome, reason: 'The visit log shows it.' }],
  };
}

async function ok(res, status = 200) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res.body;
}

test('a resident sends a photo with the form, and a file that is not what its name says is refused', async () => {
  const b = await launch({ javaScriptEnabled: false });
  const checker = await launch();
  try {
    const { page } = b;
    const check = async (name) => {
      await checkA11yOfHtml(checker, page.url(), await page.content(), `${name} (no JavaScript)`);
      await screenshots(page, name);
    };
    await page.goto(server.url + '/');
    await page.getByLabel('What is your complaint about?').fill('Black mould is spreading on the bedroom wall.');
    await page.getByLabel('Email address').fill('rosa@example.org');
    // Text named .png: refused next to the file input, nothing written.
    await page.getByLabel('Photos or documents (optional)').setInputFiles([
      { name: 'mould.png', mimeType: 'image/png', buffer: Buffer.from('not a picture at all\n') },
    ]);
    await page.getByRole('button', { name: 'Send complaint' }).click();
    const summary = page.locator('.error-summary');
    await summary.waitFor();
    assert.equal(await summary.locator('a[href="#attachments"]').count(), 1);
    assert.match(await page.title(), /^Error:/);
    await check('form-file-refused');
    const listed = await api(server, 'GET', '/staff/complaints', { token: officer });
    assert.equal(listed.status, 200);
    assert.equal(JSON.stringify(listed.body).includes('Black mould'), false, 'no case was written');

    // The field keeps the words typed; a real PNG goes through.
    assert.equal(await page.getByLabel('What is your complaint about?').inputValue(), 'Black mould is spreading on the bedroom wall.');
    await page.getByLabel('Email address').fill('rosa@example.org');
    await page.getByLabel('Photos or documents (optional)').setInputFiles([
      { name: 'bedroom wall.png', mimeType: 'image/png', buffer: PNG },
    ]);
    await page.getByRole('button', { name: 'Send complaint' }).click();
    await page.getByRole('heading', { name: 'Complaint received' }).waitFor();
    const reference = (await page.locator('#reference').innerText()).trim();
    const code = (await page.locator('#access-code').innerText()).trim();

    await page.goto(`${server.url}/complaints/${reference}?code=${encodeURIComponent(code)}`);
    await page.getByRole('heading', { name: 'Files you sent us' }).waitFor();
    assert.match(await page.locator('main').innerText(), /bedroom wall\.png/);
    await check('resident-case-with-file');

    // Staff see the same file, sent by the resident, with its SHA-256.
    const staff = await ok(await api(server, 'GET', `/staff/complaints/${reference}`, { token: officer }));
    assert.equal(staff.attachments.length, 1);
    assert.equal(staff.attachments[0].filename, 'bedroom wall.png');
    assert.equal(staff.attachments[0].size, PNG.length);
  } finally {
    await b.close();
    await checker.close();
  }
});

test('a support-services complaint answered at Stage 2 is taken to Stage 3 from the pages', async () => {
  const created = await ok(await api(server, 'POST', '/staff/complaints', {
    token: officer,
    body: {
      name: 'Sam Supported',
      email: 'sam@example.org',
      description: 'My support worker has missed four visits in a row.',
      channel: 'phone',
      category: 'support_services',
      procedure: 'support_services',
    },
  }), 201);
  const r = created.reference;
  const code = created.access_code;
  await ok(await api(server, 'POST', `/staff/complaints/${r}/acknowledgement`, {
    token: officer, body: { investigating_manager: 'ian@p3.example', complaint_points: ['Missed visits'] },
  }));
  await ok(await api(server, 'POST', `/staff/complaints/${r}/stage1-response`, { token: manager, body: answer('Missed visits', 'not_upheld') }));
  await ok(await api(server, 'POST', `/staff/complaints/${r}/stage2`, { token: officer, body: {} }));
  await ok(await api(server, 'POST', `/staff/complaints/${r}/acknowledgement`, {
    token: officer, body: { reviewer: 'hannah@p3.example', complaint_points: ['Visits still missed'] },
  }));
  await ok(await api(server, 'POST', `/staff/complaints/${r}/stage2-response`, { token: senior, body: answer('Visits still missed', 'partly_upheld') }));

  const b = await launch({ javaScriptEnabled: false });
  const checker = await launch();
  try {
    const { page } = b;
    const check = async (name) => {
      await checkA11yOfHtml(checker, page.url(), await page.content(), `${name} (no JavaScript)`);
      await screenshots(page, name);
    };
    await page.goto(`${server.url}/complaints/${r}?code=${encodeURIComponent(code)}`);
    await page.getByRole('heading', { name: 'Ask for a final review (Stage 3)' }).waitFor();
    await check('resident-case-stage3-offered');
    await page.getByLabel(/Why are you unhappy/).fill('The visits are still being missed.');
    await page.getByLabel('Photos or documents (optional)').setInputFiles([
      { name: 'visit log.pdf', mimeType: 'application/pdf', buffer: PDF },
    ]);
    await page.getByRole('button', { name: 'Ask for a review' }).click();
    await page.getByRole('heading', { name: 'Your final review (Stage 3)' }).waitFor();
    assert.match(await page.locator('main').innerText(), /visit log\.pdf/);
    await check('resident-case-stage3-requested');

    const staff = await ok(await api(server, 'GET', `/staff/complaints/${r}`, { token: officer }));
    assert.equal(staff.status, 'stage3_requested');
    assert.deepEqual(staff.attachments.map((a) => a.filename), ['visit log.pdf']);

    // The staff case page offers the Stage 3 acknowledgement to a senior manager.
    await page.goto(`${server.url}/staff/sign-in`);
    await page.getByLabel('Staff token').fill(senior);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/cases');
    await page.goto(`${server.url}/staff/cases/${r}`);
    const main = await page.locator('main').innerText();
    assert.match(main, /Stage 3/);
    assert.match(main, /visit log\.pdf/);
    await check('staff-case-stage3');
  } finally {
    await b.close();
    await checker.close();
  }
});
