// Staff accounts in a real browser: the link `p3 user add` prints sets a password, then the
// member of staff signs in with email and password (a wrong password first) and out again.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { P3_BIN, checkPage, launch, startServer } from './support.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

test('a new member of staff sets a password through the link and signs in with it', async () => {
  const out = execFileSync(
    P3_BIN,
    ['user', 'add', '--email', 'olive@p3.example', '--name', 'Olive Officer', '--role', 'officer',
      '--data-dir', server.dataDir, '--base-url', server.url],
    { encoding: 'utf8' },
  );
  const link = out.split('\n').find((l) => l.startsWith(`${server.url}/staff/set-password?link=`));
  assert.ok(link, out);

  const b = await launch();
  try {
    const { page } = b;
    await page.goto(link);
    await page.getByRole('heading', { name: 'Set your password' }).waitFor();
    await checkPage(page, 'staff-set-password');

    // Too short first: the error summary points at the field.
    await page.getByLabel('New password').fill('short');
    await page.getByLabel('Type the password again').fill('short');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.locator('.error-summary').waitFor();
    assert.match(await page.locator('.error-summary').innerText(), /at least 12 characters/);
    await checkPage(page, 'staff-set-password-error');

    await page.getByLabel('New password').fill('correct horse battery');
    await page.getByLabel('Type the password again').fill('correct horse battery');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/sign-in');
    await page.getByLabel('Email address').waitFor();
    await checkPage(page, 'staff-sign-in-password');

    await page.getByLabel('Email address').fill('olive@p3.example');
    await page.getByLabel('Password', { exact: true }).fill('not my password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.error-summary').waitFor();
    assert.match(await page.locator('.error-summary').innerText(), /email address or password is not right/);
    assert.equal(await page.getByLabel('Email address').inputValue(), 'olive@p3.example');
    await checkPage(page, 'staff-sign-in-password-error');

    await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/cases');
    const session = (await b.context.cookies()).find((c) => c.name === 'p3_staff');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.match(await page.locator('header').innerText(), /Olive Officer/);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/staff/sign-in');
    // The old cookie no longer opens anything: the session ended on the server.
    await b.context.addCookies([{ ...session }]);
    await page.goto(`${server.url}/staff/cases`);
    await page.waitForURL((u) => u.pathname === '/staff/sign-in');
  } finally {
    await b.close();
  }
});
