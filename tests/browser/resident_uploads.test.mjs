// Residents' files with JavaScript on (issue 15 items 5 and 7), under the pages' real
// Content-Security-Policy (no bypass): our own script (/assets/upload.js) posts each chosen file
// straight into the upload inbox (POST /uploads/{slot} locally, the bucket on AWS), shows how it
// is going next to the file input, and sends the page's form with the slots instead of the
// files: the page's own post carries no file. A file whose content is not what its name says is
// still refused next to the input; a file over 10 MB is refused before anything is sent, naming
// it; and when the inbox cannot be reached the form goes as it would without JavaScript. The
// same pages without JavaScript are resident_files.test.mjs. axe-core checks each state of the
// page (the HTML as it then stands, in a second browser: axe cannot be injected under the CSP).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, checkA11yOfHtml, launch, screenshots, startServer } from './support.mjs';

/** A PNG the server recognises from its signature and header. */
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR', 'latin1'), Buffer.from([...Array(64).keys()])]);
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

/** What a page sends: upload forms asked for, files posted to the inbox, the page's own posts. */
function watch(page) {
  const origin = new URL(server.url).origin;
  const seen = { forms: 0, inbox: [], posts: [], problems: [] };
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) seen.problems.push(m.text());
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin !== origin) seen.problems.push(`request to ${r.url()}`);
    if (r.method() !== 'POST') return;
    if (u.pathname === '/complaints/uploads') seen.forms += 1;
    else if (u.pathname.startsWith('/uploads/')) seen.inbox.push(u.pathname);
    else seen.posts.push({ path: u.pathname, body: r.postDataBuffer()?.toString('latin1') ?? null });
  });
  return seen;
}

/** The page's own post carried the slots and no file: no part with a file name, no bytes. */
function sentSlotsNotFiles(post, slots) {
  assert.ok(post.body !== null, `${post.path}: the post's body was seen`);
  assert.doesNotMatch(post.body, /filename=/, `${post.path} carried a file`);
  assert.doesNotMatch(post.body, /PNG|%PDF/, `${post.path} carried a file's bytes`);
  for (const slot of slots) {
    assert.match(post.body, new RegExp(`name="attachments"\\r\\n\\r\\n${slot}\\r\\n`), `${post.path} names ${slot}`);
  }
}

const slotOf = (path) => path.split('/').pop();

test('with JavaScript the form sends a photo straight to the inbox, and a file not what its name says is refused', async () => {
  const b = await launch({ bypassCSP: false });
  const checker = await launch();
  try {
    const { page } = b;
    const seen = watch(page);
    const check = async (name) => {
      await checkA11yOfHtml(checker, page.url(), await page.content(), `${name} (JavaScript)`);
      await screenshots(page, name);
    };
    await page.goto(server.url + '/');
    await page.getByLabel('What is your complaint about?').fill('Black mould is spreading on the bedroom wall.');
    await page.getByLabel('Email address').fill('rosa@example.org');
    // Text named .png: it reaches the inbox, and the service refuses it next to the file input.
    await page.getByLabel('Photos or documents (optional)').setInputFiles([
      { name: 'mould.png', mimeType: 'image/png', buffer: Buffer.from('not a picture at all\n') },
    ]);
    await page.getByRole('button', { name: 'Send complaint' }).click();
    await page.locator('.error-summary').waitFor();
    assert.equal(await page.locator('.error-summary a[href="#attachments"]').count(), 1);
    assert.match(await page.locator('#attachments-error').innerText(), /File 1: .*PNG/);
    assert.equal(seen.forms, 1);
    assert.equal(seen.inbox.length, 1, 'the file went to the inbox');
    assert.equal(seen.posts.length, 1);
    sentSlotsNotFiles(seen.posts[0], [slotOf(seen.inbox[0])]);
    await check('form-js-file-refused');
    const listed = await ok(await api(server, 'GET', '/staff/complaints', { token: officer }));
    assert.equal(JSON.stringify(listed).includes('Black mould'), false, 'no case was written');

    // A real PNG: held at the inbox a moment, the page says which file is going, then the
    // complaint goes with its slot.
    let release;
    const held = new Promise((r) => {
      release = r;
    });
    await page.route((u) => u.pathname.startsWith('/uploads/'), async (route) => {
      await held;
      await route.continue();
    });
    await page.getByLabel('Email address').fill('rosa@example.org');
    await page.getByLabel('Photos or documents (optional)').setInputFiles([
      { name: 'bedroom wall.png', mimeType: 'image/png', buffer: PNG },
    ]);
    await page.getByRole('button', { name: 'Send complaint' }).click();
    const status = page.locator('#attachments-upload-status');
    await status.getByText(/Sending bedroom wall\.png/).waitFor();
    assert.equal(await status.getAttribute('aria-live'), 'polite');
    await check('form-js-sending');
    release();
    await page.getByRole('heading', { name: 'Complaint received' }).waitFor();
    await page.unroute((u) => u.pathname.startsWith('/uploads/'));
    assert.equal(seen.inbox.length, 2);
    assert.equal(seen.posts.length, 2);
    sentSlotsNotFiles(seen.posts[1], [slotOf(seen.inbox[1])]);
    const reference = (await page.locator('#reference').innerText()).trim();
    const code = (await page.locator('#access-code').innerText()).trim();

    await page.goto(`${server.url}/complaints/${reference}?code=${encodeURIComponent(code)}`);
    await page.getByRole('heading', { name: 'Files you sent us' }).waitFor();
    assert.match(await page.locator('main').innerText(), /bedroom wall\.png/);
    const staff = await ok(await api(server, 'GET', `/staff/complaints/${reference}`, { token: officer }));
    assert.deepEqual(staff.attachments.map((a) => [a.filename, a.size]), [['bedroom wall.png', PNG.length]]);
    assert.deepEqual(seen.problems, []);
  } finally {
    await b.close();
    await checker.close();
  }
});

test('with JavaScript a file over 10 MB is refused next to the input, naming it, before anything is sent', async () => {
  const b = await launch({ bypassCSP: false });
  const checker = await launch();
  try {
    const { page } = b;
    const seen = watch(page);
    await page.goto(server.url + '/');
    await page.getByLabel('What is your complaint about?').fill('The lift has been broken for a month.');
    const input = page.getByLabel('Photos or documents (optional)');
    await input.setInputFiles([
      { name: 'lift.png', mimeType: 'image/png', buffer: PNG },
      { name: 'lift video.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(10 * 1024 * 1024 + 1) },
    ]);
    await page.getByRole('button', { name: 'Send complaint' }).click();
    const error = page.locator('#attachments-upload-status .error-message');
    await error.waitFor();
    assert.match(await error.innerText(), /lift video\.pdf is larger than 10 MB/);
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    assert.match(await input.getAttribute('aria-describedby'), /attachments-upload-status/);
    assert.equal(seen.forms + seen.inbox.length + seen.posts.length, 0, 'nothing was sent');
    await checkA11yOfHtml(checker, page.url(), await page.content(), 'form-js-file-too-large (JavaScript)');
    await screenshots(page, 'form-js-file-too-large');
    assert.deepEqual(seen.problems, []);
  } finally {
    await b.close();
    await checker.close();
  }
});

test('with JavaScript the review request sends its document through the inbox', async () => {
  const created = await ok(await api(server, 'POST', '/complaints', {
    body: { name: 'Rosa Resident', email: 'rosa@example.org', description: 'Damp in the back bedroom.' },
  }), 201);
  const r = created.reference;
  const code = created.access_code;
  await ok(await api(server, 'POST', `/staff/complaints/${r}/acknowledgement`, {
    token: officer, body: { investigating_manager: 'ian@p3.example', complaint_points: ['Damp'] },
  }));
  await ok(await api(server, 'POST', `/staff/complaints/${r}/stage1-response`, {
    token: manager,
    body: {
      outcome: 'not_upheld',
      summary: 'We looked at: Damp.',
      point_decisions: [{ point: 'Damp', decision: 'not_upheld', reason: 'The visit log shows it.' }],
    },
  }));
  const b = await launch({ bypassCSP: false });
  const checker = await launch();
  try {
    const { page } = b;
    const seen = watch(page);
    await page.goto(`${server.url}/complaints/${r}?code=${encodeURIComponent(code)}`);
    await page.getByLabel(/Why are you unhappy/).fill('The damp is back.');
    // A PNG named .pdf: refused next to the input on the request's own page.
    await page.getByLabel('Photos or documents (optional)').setInputFiles([
      { name: 'visit log.pdf', mimeType: 'application/pdf', buffer: PNG },
    ]);
    await page.getByRole('button', { name: 'Ask for a review' }).click();
    await page.locator('#attachments-error').waitFor();
    assert.match(await page.locator('#attachments-error').innerText(), /File 1: /);
    assert.equal(await page.getByLabel(/Why are you unhappy/).inputValue(), 'The damp is back.');
    sentSlotsNotFiles(seen.posts[0], [slotOf(seen.inbox[0])]);
    await checkA11yOfHtml(checker, page.url(), await page.content(), 'stage2-js-file-refused (JavaScript)');
    await screenshots(page, 'stage2-js-file-refused');
    let staff = await ok(await api(server, 'GET', `/staff/complaints/${r}`, { token: officer }));
    assert.notEqual(staff.status, 'stage2_requested');

    await page.getByLabel('Photos or documents (optional)').setInputFiles([
      { name: 'visit log.pdf', mimeType: 'application/pdf', buffer: PDF },
    ]);
    await page.getByRole('button', { name: 'Ask for a review' }).click();
    await page.getByRole('heading', { name: 'Your review (Stage 2)' }).waitFor();
    assert.match(await page.locator('main').innerText(), /visit log\.pdf/);
    assert.equal(seen.inbox.length, 2);
    sentSlotsNotFiles(seen.posts[1], [slotOf(seen.inbox[1])]);
    await checkA11yOfHtml(checker, page.url(), await page.content(), 'stage2-js-requested (JavaScript)');
    await screenshots(page, 'stage2-js-requested');
    staff = await ok(await api(server, 'GET', `/staff/complaints/${r}`, { token: officer }));
    assert.equal(staff.status, 'stage2_requested');
    assert.deepEqual(staff.attachments.map((a) => a.filename), ['visit log.pdf']);
    assert.deepEqual(seen.problems, []);
  } finally {
    await b.close();
    await checker.close();
  }
});

test('with JavaScript, when the upload forms cannot be had, the form goes with its files as without it', async () => {
  const b = await launch({ bypassCSP: false });
  try {
    const { page } = b;
    const seen = watch(page);
    await page.route((u) => u.pathname === '/complaints/uploads', (route) => route.abort('connectionrefused'));
    await page.goto(server.url + '/');
    await page.getByLabel('What is your complaint about?').fill('Rubbish left on the stairs again.');
    await page.getByLabel('Email address').fill('rosa@example.org');
    await page.getByLabel('Photos or documents (optional)').setInputFiles([
      { name: 'stairs.png', mimeType: 'image/png', buffer: PNG },
    ]);
    await page.getByRole('button', { name: 'Send complaint' }).click();
    await page.getByRole('heading', { name: 'Complaint received' }).waitFor();
    assert.equal(seen.forms, 1, 'the script asked for a form');
    assert.deepEqual(seen.inbox, [], 'nothing reached the inbox');
    const reference = (await page.locator('#reference').innerText()).trim();
    const staff = await ok(await api(server, 'GET', `/staff/complaints/${reference}`, { token: officer }));
    assert.deepEqual(staff.attachments.map((a) => [a.filename, a.size]), [['stairs.png', PNG.length]]);
  } finally {
    await b.close();
  }
});
