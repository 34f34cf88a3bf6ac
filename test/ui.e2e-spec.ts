import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { bearer, startSecuredGateway, type SecuredGateway, UNTHROTTLED_PLAN } from './support/accounts.js';
import { launchChromium, signIn, withPage } from './support/console-browser.js';
import { CONVERSATION_TEST_CONFIG } from './support/conversation-config.js';
import { SHORT_CLIP } from './support/speech-fixtures.js';
import { deepMerge, requestJson, waitFor, waitForVoices } from './support/test-gateway.js';

const XSS = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>';
/** Set UPDATE_CONSOLE_SCREENSHOT=1 to refresh the README's docs/console.png from this run. */
const SCREENSHOT = fileURLToPath(new URL('../../docs/console.png', import.meta.url));

describe('operator console in Chromium', () => {
  let s: SecuredGateway;
  let browser: Browser;
  const admin = () => bearer(s.adminKey);
  const json = (key: string) => ({ ...bearer(key), 'Content-Type': 'application/json' });
  const liveConfig = async () =>
    (
      await requestJson<{ data: { routers: { core: { stt: { enabled: boolean } } } } }>(`${s.t.url}/config`, {
        headers: admin(),
      })
    ).body.data;

  before(async () => {
    s = await startSecuredGateway({
      config: deepMerge(CONVERSATION_TEST_CONFIG, {
        rate_limits: {
          plans: { free: { ...UNTHROTTLED_PLAN, quota_seconds: 36000, max_concurrent_requests: 10 } },
        },
      }),
    });
    await waitForVoices(s.t.url, 'language=en-us', 1, admin());
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await s?.t.close();
  });

  it('serves the console under a strict Content-Security-Policy, and not when its router is off', async () => {
    const page = await fetch(`${s.t.url}/ui`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /media-src 'self' blob: data:/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await page.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(html, /\sstyle=|<style/, 'no inline style');
    assert.doesNotMatch(html, /https?:\/\//, 'no asset from another origin');
    const script = await fetch(`${s.t.url}/ui/main.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`${s.t.url}/ui/..%2Fpackage.json`)).status, 404);
    assert.equal((await fetch(`${s.t.url}/ui/nothing.js`)).status, 404);

    const health = await requestJson<{ data: { architecture: { routers: Record<string, boolean> } } }>(
      `${s.t.url}/health`,
    );
    assert.equal(health.body.data.architecture.routers['management.ui'], true);
    const off = await fetch(`${s.t.url}/config`, {
      method: 'PATCH',
      headers: json(s.adminKey),
      body: JSON.stringify({ routers: { management: { ui: { enabled: false } } } }),
    });
    assert.equal(off.status, 200);
    const gone = await requestJson<{ message: string; metadata: { error_code: string } }>(`${s.t.url}/ui`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.metadata.error_code, 'FEATURE_DISABLED');
    assert.match(gone.body.message, /routers\.management\.ui\.enabled/);
    await fetch(`${s.t.url}/config`, {
      method: 'PATCH',
      headers: json(s.adminKey),
      body: JSON.stringify({ routers: { management: { ui: { enabled: true } } } }),
    });
    assert.equal((await fetch(`${s.t.url}/ui`)).status, 200);
  });

  it('says clearly when a key is wrong, and stores nothing', async () => {
    await withPage(browser, 'wrong key', async (page) => {
      await page.goto(`${s.t.url}/ui`);
      await page.locator('#api-key').fill('sgk_not_a_real_key_0000000000000000');
      await page.locator('#sign-in').click();
      const status = page.locator('#sign-in-status');
      await status.filter({ hasText: 'not accepted' }).waitFor();
      assert.match((await status.textContent()) ?? '', /INVALID_API_KEY/);
      assert.equal(await status.getAttribute('role'), 'alert');
      assert.equal(await page.evaluate<number>('sessionStorage.length'), 0);
      assert.equal(await page.locator('#signed-in-as').count(), 0);
    });
  });

  it('signs in with the keyboard, keeps the key out of the URL and forgets it on sign-out', async () => {
    await withPage(browser, 'sign in and out', async (page) => {
      await signIn(page, s.t.url, s.adminKey);
      assert.ok(!page.url().includes(s.adminKey));
      assert.equal(await page.evaluate<number>('sessionStorage.length'), 1);
      for (const view of ['overview', 'tts', 'stt', 'conversation', 'usage'])
        assert.equal(await page.locator(`#nav-${view}`).count(), 1, `${view} tab`);
      await page.reload();
      await page.locator('#signed-in-as').waitFor();
      await page.locator('#sign-out').click();
      await page.locator('#sign-in-form').waitFor();
      assert.equal(await page.evaluate<number>('sessionStorage.length'), 0);
    });
  });

  it('flips a router switch and /config changes with it', async () => {
    await withPage(browser, 'router switch', async (page) => {
      await signIn(page, s.t.url, s.adminKey);
      const sttSwitch = page.locator('input[data-path="routers.core.stt.enabled"]');
      await sttSwitch.waitFor();
      assert.equal(await sttSwitch.isChecked(), true);
      await sttSwitch.focus();
      await page.keyboard.press('Space');
      await waitFor(async () => (await liveConfig()).routers.core.stt.enabled === false, 'stt switched off');
      await page
        .locator('#overview-status')
        .filter({ hasText: 'routers.core.stt.enabled is now off' })
        .waitFor();
      await page.locator('#config-validation').filter({ hasText: 'valid and applied' }).waitFor();
      await sttSwitch.click();
      await waitFor(async () => (await liveConfig()).routers.core.stt.enabled === true, 'stt switched on');
      await page.locator('#engines').filter({ hasText: 'pocketsphinx' }).waitFor();
      await page.locator('#breakers').waitFor();
    });
  });

  it('synthesizes, plays the audio and highlights each word as it is spoken', async () => {
    await withPage(browser, 'tts', async (page) => {
      await signIn(page, s.t.url, s.adminKey);
      await page.locator('#nav-tts').click();
      await page.locator('#tts-voice option[value="en-us"]').waitFor({ state: 'attached' });
      await page.locator('#tts-voice').selectOption('en-us');
      await page.locator('#tts-text').fill('One two three four five six seven eight nine ten.');
      await page.locator('#tts-submit').click();
      await page.locator('#tts-status').filter({ hasText: 'Done.' }).waitFor({ timeout: 30_000 });
      const duration = await waitFor(
        () => page.evaluate<number>("document.getElementById('tts-audio').duration"),
        'audio duration',
      );
      assert.ok(duration > 0, `duration ${duration}`);
      assert.equal(await page.locator('#tts-words .word').count(), 10);
      const seen = new Set<number>();
      await waitFor(
        async () => {
          const index = Number(await page.locator('#tts-words').getAttribute('data-spoken-index'));
          if (index >= 0) seen.add(index);
          return seen.size >= 3;
        },
        'the highlight to move over three words',
        20_000,
      );
      const order = [...seen];
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        'the highlight only moves forward',
      );
      const details = (await page.locator('#tts-details').textContent()) ?? '';
      assert.match(details, /Engine\s*espeak/);
      assert.match(details, /Cache\s*(miss|hit)/);
      if (process.env['UPDATE_CONSOLE_SCREENSHOT'] === '1') {
        await page.evaluate("document.getElementById('tts-audio').pause(); window.scrollTo(0, 0)");
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
      }
    });
  });

  it('transcribes an uploaded WAV with word timings and offers SRT', async () => {
    await withPage(browser, 'stt', async (page) => {
      await signIn(page, s.t.url, s.adminKey);
      await page.locator('#nav-stt').click();
      await page.locator('#stt-file').setInputFiles(SHORT_CLIP);
      await page.locator('#stt-submit').click();
      await page.locator('#stt-transcript').filter({ hasText: 'young man' }).waitFor({ timeout: 60_000 });
      assert.ok((await page.locator('#stt-words tbody tr').count()) >= 5);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('#stt-download-srt').click(),
      ]);
      const srt = await readFile(await download.path(), 'utf8');
      assert.match(srt, /^1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n.*young man/s);
    });
  });

  it('records from the microphone and sends the take as WAV', async () => {
    await withPage(browser, 'stt record', async (page) => {
      await signIn(page, s.t.url, s.adminKey);
      await page.locator('#nav-stt').click();
      await page.locator('#stt-record').click();
      await page.locator('#stt-record[aria-pressed="true"]').waitFor();
      await new Promise((resolve) => setTimeout(resolve, 1200)); // a take needs some length
      await page.locator('#stt-record').click();
      await page.locator('#stt-status').filter({ hasText: 'Recorded' }).waitFor();
      await page.locator('#stt-submit').click();
      await page
        .locator('#stt-status')
        .filter({ hasText: /Transcribed|failed/ })
        .waitFor({ timeout: 60_000 });
      assert.match((await page.locator('#stt-status').textContent()) ?? '', /Transcribed/);
    });
  });

  it('shows markup in a voice description and in chat text as text, never running it', async () => {
    // The admin voices API stores any text as a description; the console must show it as text.
    const listed = await requestJson<{
      data: { voices: Array<{ name: string; description: string | null }> };
    }>(`${s.t.url}/tts/voices?engine=espeak`, { headers: admin() });
    const original = listed.body.data.voices.find((voice) => voice.name === 'en-us')?.description ?? '';
    const describe = (description: string) =>
      fetch(`${s.t.url}/admin/voices/en-us`, {
        method: 'PATCH',
        headers: json(s.adminKey),
        body: JSON.stringify({ description }),
      });
    assert.equal((await describe(XSS)).status, 200);
    try {
      await withPage(browser, 'xss', async (page, record) => {
        await signIn(page, s.t.url, s.adminKey);
        await page.locator('#nav-tts').click();
        await page.locator('#tts-voice option[value="en-us"]').waitFor({ state: 'attached' });
        await page.locator('#tts-voice').selectOption('en-us');
        const description = page.locator('#tts-voice-description');
        assert.equal(await description.textContent(), XSS);
        assert.equal(await description.locator('img, script').count(), 0);

        await page.locator('#nav-conversation').click();
        await page.locator('#conversation-text').fill(XSS);
        await page.locator('#conversation-text').press('Enter');
        await page.locator('.turn-gateway').waitFor({ timeout: 30_000 });
        assert.equal(await page.locator('.turn-you .turn-text').first().textContent(), XSS);
        assert.equal(await page.locator('#conversation-log img, #conversation-log script').count(), 0);
        assert.equal(await page.evaluate<unknown>('window.__xss'), undefined);
        assert.deepEqual(record.dialogs, []);
      });
    } finally {
      await describe(original);
    }
  });

  it('holds a typed conversation with spoken replies', async () => {
    await withPage(browser, 'conversation', async (page) => {
      await signIn(page, s.t.url, s.adminKey);
      await page.locator('#nav-conversation').click();
      await page.locator('#conversation-text').fill('hello');
      await page.locator('#conversation-send').click();
      const reply = page.locator('.turn-gateway').first();
      await reply.waitFor({ timeout: 30_000 });
      assert.ok(((await reply.locator('.turn-text').textContent()) ?? '').length > 0);
      await waitFor(
        () =>
          reply.locator('audio').evaluate((audio) => (audio as unknown as { duration: number }).duration > 0),
        'the spoken reply to load',
      );
    });
  });

  it('lets an admin issue a key shown once; that key sees only what its scopes allow', async () => {
    let issued = '';
    await withPage(browser, 'issue key', async (page) => {
      await signIn(page, s.t.url, s.adminKey);
      await page.locator('#nav-usage').click();
      await page.locator('#quota-remaining').waitFor();
      await page.locator('#admin-plans table').waitFor();
      await page.locator('#new-user-name').fill('Console Tester');
      await page.locator('#new-user-email').fill('console-tester@example.com');
      await page.locator('#create-user-form button[type=submit]').click();
      await page.locator('#create-key-form').waitFor();
      for (const scope of ['stt', 'conversation', 'files'])
        await page.locator(`#new-key-scope-${scope}`).uncheck();
      await page.locator('#create-key-form button[type=submit]').click();
      issued = ((await page.locator('#new-key-value').textContent()) ?? '').trim();
      assert.match(issued, /^sgk_/);
      assert.equal(await page.locator('#new-key-copy').count(), 1);
      await page.locator('#admin-keys tbody tr').first().waitFor();
    });
    await withPage(browser, 'scoped key', async (page) => {
      await signIn(page, s.t.url, issued);
      assert.equal(await page.locator('#nav-tts').count(), 1);
      assert.equal(await page.locator('#nav-stt').count(), 0);
      assert.equal(await page.locator('#nav-conversation').count(), 0);
      await page.locator('#health-status').waitFor();
      assert.equal(await page.locator('#switches').count(), 0, 'no config switches without admin');
      assert.equal(await page.locator('#breakers').count(), 0, 'no breakers without ops');
      await page.locator('#nav-usage').click();
      await page.locator('#quota-remaining').waitFor();
      assert.equal(await page.locator('#admin').count(), 0);
    });
  });

  it('stays readable at phone width (no sideways scrolling)', async () => {
    await withPage(
      browser,
      'phone width',
      async (page) => {
        await signIn(page, s.t.url, s.adminKey);
        await page.locator('#engines table').waitFor();
        for (const view of ['overview', 'tts', 'usage']) {
          await page.locator(`#nav-${view}`).click();
          await page.locator(`#nav-${view}[aria-current="page"]`).waitFor();
          await page.locator('#view h2').waitFor();
          const overflow = await page.evaluate<number>(
            'document.documentElement.scrollWidth - document.documentElement.clientWidth',
          );
          assert.ok(overflow <= 1, `${view} overflows by ${overflow}px`);
        }
      },
      { width: 375, height: 740 },
    );
  });
});
