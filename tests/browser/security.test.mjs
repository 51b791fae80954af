// The pages under their real Content-Security-Policy (no bypass): styled from /assets/app.css
// with no violation reported, no request to any other host, and the security and cache headers.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, launch, newComplaint, startServer } from './support.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

test('pages send strict security headers and keep out of shared caches', async () => {
  const { reference, code } = await newComplaint(server);
  const pages = [
    '/',
    `/complaints/${reference}/confirmation?code=${encodeURIComponent(code)}`,
    `/complaints/${reference}?code=${encodeURIComponent(code)}`,
    `/complaints/${reference}/stage2?code=${encodeURIComponent(code)}`,
    '/staff/sign-in',
  ];
  for (const path of pages) {
    const res = await fetch(server.url + path, { headers: { accept: 'text/html' }, redirect: 'manual' });
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type'), /^text\/html/, path);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/, path);
    assert.match(csp, /style-src 'self'(;|$)/, path);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
    assert.equal(res.headers.get('cache-control'), 'no-store, private', path);
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?! src="\/assets\/upload\.js" defer><\/script>)|<style|\sstyle=/i, `${path} has no inline script or style`);
    // A page with a form that takes a resident's files (the complaint form; the review request,
    // while one can be asked for) runs our own upload script and lets it post to the inbox;
    // every other page allows no script at all.
    const uploads = html.includes('<script src="/assets/upload.js" defer></script>');
    assert.equal(uploads, /name="attachments" type="file"/.test(html), path);
    if (path === '/') assert.ok(uploads, 'the complaint form runs the upload script');
    if (uploads) {
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.match(csp, /connect-src 'self'( [^;']+)?(;|$)/, path);
    } else {
      assert.doesNotMatch(csp, /script-src|connect-src/, path);
    }
    assert.match(html, /<html lang="en-GB">/, path);
  }
  const css = await fetch(`${server.url}/assets/app.css`);
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type'), /^text\/css/);
  // Staff pages without a session go to sign in; the JSON API is unchanged.
  const staff = await fetch(`${server.url}/staff/cases`, { redirect: 'manual' });
  assert.equal(staff.status, 303);
  assert.match(staff.headers.get('location'), /^\/staff\/sign-in\?next=/);
  const json = await api(server, 'GET', '/staff/complaints');
  assert.equal(json.status, 401);
  assert.match(json.headers.get('content-type'), /^application\/problem\+json/);
});

test('pages render under their CSP with the stylesheet and no third-party requests', async () => {
  const { reference, code } = await newComplaint(server);
  const officer = server.token('Olive Officer', 'olive@p3.example', 'officer');
  const b = await launch({ bypassCSP: false });
  const problems = [];
  const origin = new URL(server.url).origin;
  b.page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  b.page.on('request', (r) => {
    if (!r.url().startsWith(origin)) problems.push(`request to ${r.url()}`);
  });
  // A page may answer 422 (a form with errors); everything it loads must load.
  b.page.on('response', (r) => {
    if (r.request().resourceType() !== 'document' && r.status() >= 400) {
      problems.push(`${r.status()} for ${r.url()}`);
    }
  });
  try {
    const { page } = b;
    const visit = async (path) => {
      await page.goto(server.url + path);
      const header = await page.evaluate(() => getComputedStyle(document.querySelector('.header')).backgroundColor);
      assert.equal(header, 'rgb(11, 79, 108)', `${path} is styled by /assets/app.css`);
      // The skip link is hidden until focused, then shown.
      await page.keyboard.press('Tab');
      const skip = await page.evaluate(() => {
        const a = document.activeElement;
        return { cls: a.className, left: a.getBoundingClientRect().left };
      });
      assert.equal(skip.cls, 'skip-link', `${path}: the skip link comes first`);
      assert.ok(skip.left >= 0, `${path}: the skip link is visible when focused`);
    };
    await visit('/');
    await page.getByRole('button', { name: 'Send complaint' }).click();
    await page.locator('.error-summary').waitFor();
    await visit(`/complaints/${reference}/confirmation?code=${encodeURIComponent(code)}`);
    await visit(`/complaints/${reference}?code=${encodeURIComponent(code)}`);
    await visit(`/complaints/${reference}/stage2?code=${encodeURIComponent(code)}`);
    await visit('/staff/sign-in');
    await page.getByLabel('Staff token').fill(officer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/cases');
    await visit('/staff/cases');
    await visit(`/staff/cases/${reference}`);
    // The printed letter: its own page (no header), styled from /assets/app.css under the same
    // policy, with the same headers.
    const ack = await api(server, 'POST', `/staff/complaints/${reference}/acknowledgement`, {
      token: officer,
      body: { investigating_manager: 'ian@p3.example', complaint_points: ['Bins not collected'] },
    });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    const letter = `/staff/complaints/${reference}/letters/1`;
    const res = await fetch(server.url + letter, { headers: { authorization: `Bearer ${officer}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy'), /default-src 'none'/);
    assert.equal(res.headers.get('cache-control'), 'no-store, private');
    assert.doesNotMatch(await res.text(), /<script|<style|\sstyle=/i, 'the letter has no inline script or style');
    await page.goto(server.url + letter);
    const border = await page.evaluate(() => getComputedStyle(document.querySelector('article.letter')).borderTopStyle);
    assert.equal(border, 'solid', 'the letter is styled by /assets/app.css');
  } finally {
    await b.close();
  }
  assert.deepEqual(problems, []);
});
