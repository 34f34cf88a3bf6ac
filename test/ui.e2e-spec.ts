import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import {
  bearer,
  createUserWithKey,
  startSecuredGateway,
  type SecuredGateway,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { launchChromium, signIn, withPage } from './support/console-browser.js';
import { CONVERSATION_TEST_CONFIG } from './support/conversation-config.js';
import { SHORT_CLIP } from './support/speech-fixtures.js';
import { getJob, submitJob, waitForJob } from './support/jobs.js';
import { deepMerge, requestJson, TEST_DATABASE_URL, waitFor, waitForVoices } from './support/test-gateway.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog near the quiet river bank. ';
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
      for (const view of ['overview', 'tts', 'stt', 'conversation', 'jobs', 'usage'])
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
      assert.equal(await page.locator('#nav-jobs').count(), 1, 'a tts key has the Jobs view');
      await page.locator('#health-status').waitFor();
      assert.equal(await page.locator('#switches').count(), 0, 'no config switches without admin');
      assert.equal(await page.locator('#breakers').count(), 0, 'no breakers without ops');
      await page.locator('#nav-usage').click();
      await page.locator('#quota-remaining').waitFor();
      assert.equal(await page.locator('#admin').count(), 0);
    });
  });

  /** Submits a TTS job through the Jobs view's form; answers the new row's job id. */
  const submitThroughForm = async (page: Page, text: string): Promise<string> => {
    await page
      .locator('#jobs-summary')
      .filter({ hasText: /^Jobs / })
      .waitFor();
    const before = new Set(
      await page
        .locator('#jobs-rows tr[data-job-id]')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-job-id'))),
    );
    await page.locator('#jobs-tts-voice option[value="en-us"]').waitFor({ state: 'attached' });
    await page.locator('#jobs-tts-voice').selectOption('en-us');
    await page.locator('#jobs-tts-format').selectOption('wav');
    await page.locator('#jobs-tts-text').fill(text);
    await page.locator('#jobs-tts-submit').click();
    await page
      .locator('#jobs-status')
      .filter({ hasText: /is queued/ })
      .waitFor({ timeout: 30_000 });
    // Newest first: the new job is the top row.
    return waitFor(async () => {
      const id = await page.locator('#jobs-rows tr[data-job-id]').first().getAttribute('data-job-id');
      return id && !before.has(id) ? id : undefined;
    }, 'the new job in the list');
  };

  it('runs a TTS job from the Jobs view: live progress, completed, the WAV downloads', async () => {
    await withPage(browser, 'jobs complete', async (page) => {
      const refused: string[] = [];
      page.on('response', (response) => {
        if (response.status() >= 400 && !response.url().endsWith('/favicon.ico'))
          refused.push(`${response.status()} ${response.url()}`);
      });
      await signIn(page, s.t.url, s.adminKey);
      await page.locator('#nav-jobs').click();
      const id = await submitThroughForm(page, SENTENCE.repeat(12));
      const row = page.locator(`#job-${id}`);
      const bar = row.locator('progress');
      assert.equal(await bar.count(), 1);
      assert.match((await bar.getAttribute('aria-label')) ?? '', /^Progress of TTS job [0-9a-f]{8}$/);
      // No reload: the list follows the job by itself until it ends.
      await page.locator(`#job-${id}[data-status="completed"]`).waitFor({ timeout: 90_000 });
      await page
        .locator('#jobs-status')
        .filter({ hasText: `TTS job ${id.slice(0, 8)} completed.` })
        .waitFor();
      assert.equal(await bar.evaluate((element) => (element as unknown as { value: number }).value), 1);
      assert.equal(await row.locator('.state').textContent(), 'completed');
      assert.equal(await row.locator('.job-cancel').count(), 0, 'no cancel on a finished job');

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        row.locator('.job-download').click(),
      ]);
      assert.match(download.url(), /^blob:/);
      assert.ok(!download.url().includes(s.adminKey), 'the key is in no URL');
      assert.equal(download.suggestedFilename(), `job-${id}.wav`);
      const bytes = await readFile(await download.path());
      assert.equal(bytes.subarray(0, 4).toString('latin1'), 'RIFF');
      assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WAVE');
      assert.ok(bytes.length > 44, `${bytes.length} bytes`);
      assert.equal(bytes.length, (await getJob(s.t.url, s.adminKey, id)).result?.bytes);
      assert.deepEqual(refused, [], 'every call the view made was answered');
    });
  });

  it('cancels a running job from the Jobs view', async () => {
    await withPage(browser, 'jobs cancel', async (page) => {
      await signIn(page, s.t.url, s.adminKey);
      await page.locator('#nav-jobs').click();
      const id = await submitThroughForm(page, SENTENCE.repeat(300));
      await waitForJob(s.t.url, s.adminKey, id, (job) => job.status === 'running' && job.progress > 0);
      const cancel = page.locator(`#job-${id} .job-cancel`);
      await cancel.waitFor();
      assert.match((await cancel.getAttribute('aria-label')) ?? '', /^Cancel TTS job [0-9a-f]{8}$/);
      await cancel.focus();
      await page.keyboard.press('Enter');
      await page.locator(`#job-${id}[data-status="cancelled"]`).waitFor({ timeout: 30_000 });
      assert.equal((await getJob(s.t.url, s.adminKey, id)).status, 'cancelled');
      assert.match((await page.locator(`#job-${id} .job-error`).textContent()) ?? '', /JOB_CANCELLED/);
      assert.equal(await page.locator(`#job-${id} .job-download`).count(), 0);
    });
  });

  it("shows a failed job's error as text, and filters the list by status", async () => {
    // No engine echoes markup in its errors today; the row is made to fail in the database.
    const submitted = await submitJob(s.t.url, s.adminKey, { type: 'tts', input: { text: 'Short.' } });
    const id = submitted.body.data?.job_id ?? '';
    await waitForJob(s.t.url, s.adminKey, id);
    const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    try {
      await db.query(
        `UPDATE "${s.t.schema}".jobs SET status = 'failed', result = NULL, error = $2::jsonb WHERE id = $1`,
        [id, JSON.stringify({ error_code: 'ENGINE_FAILED', message: XSS })],
      );
    } finally {
      await db.end();
    }
    await withPage(browser, 'jobs xss', async (page, record) => {
      await signIn(page, s.t.url, s.adminKey);
      await page.locator('#nav-jobs').click();
      await page.locator(`#job-${id}`).waitFor();
      await page.locator('#jobs-filter-status').selectOption('failed');
      await waitFor(
        async () => (await page.locator('#jobs-rows tr[data-job-id]').count()) === 1,
        'only the failed job listed',
      );
      const row = page.locator(`#job-${id}[data-status="failed"]`);
      await row.waitFor();
      assert.equal(await row.locator('.job-error').textContent(), `${XSS} (ENGINE_FAILED)`);
      assert.equal(await page.locator('#jobs-table img, #jobs-table script').count(), 0);
      assert.equal(await page.evaluate<unknown>('window.__xss'), undefined);
      assert.deepEqual(record.dialogs, []);
      await page.locator('#jobs-filter-status').selectOption('');
      await page.locator('#jobs-filter-type').selectOption('stt');
      await page.locator('#jobs-summary').filter({ hasText: 'of 0.' }).waitFor();
      assert.equal(await page.locator('#jobs-rows tr[data-job-id]').count(), 0, 'no STT jobs');
    });
  });

  it('shows the Jobs view to keys that may submit work, and only while the jobs router is on', async () => {
    const talker = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'jobs-talker@example.com',
      scopes: ['conversation'],
    });
    const listener = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'jobs-listener@example.com',
      scopes: ['stt'],
    });
    await withPage(browser, 'jobs scopes', async (page) => {
      await signIn(page, s.t.url, talker.key);
      assert.equal(await page.locator('#nav-conversation').count(), 1);
      assert.equal(await page.locator('#nav-jobs').count(), 0, 'no Jobs view for a conversation key');
      await page.locator('#sign-out').click();
      await signIn(page, s.t.url, listener.key);
      await page.locator('#nav-jobs').click();
      await page.locator('#jobs-summary').filter({ hasText: 'of 0.' }).waitFor();
      assert.equal(await page.locator('#jobs-tts-form').count(), 0, 'no TTS form without the tts scope');
    });
    const jobsRouter = (enabled: boolean) =>
      fetch(`${s.t.url}/config`, {
        method: 'PATCH',
        headers: json(s.adminKey),
        body: JSON.stringify({ routers: { core: { jobs: { enabled } } } }),
      });
    assert.equal((await jobsRouter(false)).status, 200);
    try {
      await withPage(browser, 'jobs router off', async (page) => {
        await signIn(page, s.t.url, s.adminKey);
        assert.equal(await page.locator('#nav-tts').count(), 1);
        assert.equal(await page.locator('#nav-jobs').count(), 0, 'no Jobs view while the router is off');
      });
    } finally {
      assert.equal((await jobsRouter(true)).status, 200);
    }
  });

  it('stays readable at phone width (no sideways scrolling)', async () => {
    await withPage(
      browser,
      'phone width',
      async (page) => {
        await signIn(page, s.t.url, s.adminKey);
        await page.locator('#engines table').waitFor();
        for (const view of ['overview', 'tts', 'jobs', 'usage']) {
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
