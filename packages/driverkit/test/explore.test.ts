/**
 * `driverkit explore` as a user meets it: a running host (`driverkit run` on a bench whose devices come
 * and go), the explorer serving its page, and a real browser (Debian's chromium, headless, driven by
 * puppeteer-core) watching the page follow the host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { WebSocket } from 'ws';
import { IOConnectCallScalarMethod, IOMainPortCreate, IOServiceClose, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen, kIOReturnNotPermitted } from '../src/client/index';

const bin = join(__dirname, '../bin/driverkit.mjs');
const bench = join(__dirname, 'fixtures/drivers/ExplorerBench');
const open = join(__dirname, 'fixtures/drivers/ExplorerOpen');
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const work = mkdtempSync(join(tmpdir(), 'dk-explore-'));
const socket = join(work, 'host.sock');
const trigger = join(work, 'plug-in');

let host: ChildProcess;
let explorer: ChildProcess;
let hostSaid = '';
let url = '';
let browser: Browser;
let page: Page;

function follow(child: ChildProcess, sink: (s: string) => void): void {
  child.stdout!.on('data', (d: Buffer) => sink(d.toString()));
  child.stderr!.on('data', (d: Buffer) => sink(d.toString()));
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms; the host said:\n${hostSaid}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The text of the page's tree, drivers table and refusals, as the browser renders them. */
// The page's DOM, as far as these tests touch it (the package's TypeScript has no DOM library).
interface Shown {
  innerText: string;
  textContent: string | null;
  click(): void;
}
const text = (selector: string) => page.$eval(selector, (e) => (e as unknown as Shown).innerText);

beforeAll(async () => {
  if (!chromium) throw new Error('no chromium: scripts/setup.sh installs Debian\'s chromium for this test');
  host = spawn(process.execPath, [bin, 'run', bench, open, '--socket', socket], { env: { ...process.env, EXPLORER_TRIGGER: trigger }, stdio: ['ignore', 'pipe', 'pipe'] });
  follow(host, (s) => (hostSaid += s));
  await until('the host to start', () => hostSaid.includes('following services'));
  explorer = spawn(process.execPath, [bin, 'explore', '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  follow(explorer, (s) => (said += s));
  await until('the explorer to print its URL', () => /open (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.test(said));
  url = /open (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(said)![1]!;
  browser = await puppeteer.launch({ executablePath: chromium, args: ['--no-sandbox', '--headless=new', '--disable-gpu'] });
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  await page.goto(url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const child of [explorer, host]) {
    if (!child || child.exitCode !== null) continue;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await gone;
  }
});

test('the page is refused without its token, over HTTP and WebSocket, and serves only loopback', async () => {
  const bare = url.replace(/\?token=.*/, '');
  expect((await fetch(bare)).status).toBe(403);
  expect((await fetch(`${bare}?token=${'0'.repeat(48)}`)).status).toBe(403);
  expect((await fetch(url)).status).toBe(200);
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(bare.replace(/^http/, 'ws'));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => resolve(101));
    ws.on('error', () => {});
  });
  expect(status).toBe(403);
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:/);
});

test('the tree shows the host\'s registry; a device plugged in on the bench appears without a reload, and its properties carry their OSObject types', async () => {
  await until('the first device in the page', async () => (await text('#tree')).includes('BenchDevice@1'));
  const navigations: string[] = [];
  page.on('framenavigated', (f) => navigations.push(f.url()));
  const plugged = Date.now();
  writeFileSync(trigger, '');
  await until('the second device in the page', async () => /BenchDevice@2 <class BenchDevice[^>]*registered, matched/.test(await text('#tree')));
  // The figure (within a second) is printed, not asserted: timing belongs to benchmarks.
  process.stdout.write(`explore: a device plugged in on the bench was in the page after ${Date.now() - plugged} ms\n`);
  expect(navigations).toEqual([]);
  await page.$$eval('.node', (nodes) => (nodes as unknown as Shown[]).find((n) => n.textContent?.startsWith('BenchDevice@2'))!.click());
  await until('its properties', async () => (await text('#properties')).includes('BenchUnit'));
  expect(await text('#properties')).toMatch(/BenchUnit\s+OSNumber\s+2/);
  await until('its explanation', async () => (await text('#explain')).includes('BenchDriver'));
  expect(await text('#explain')).toMatch(/org\.driverkit\.test\.ExplorerBench\/BenchDriver/);
});

test('a SIGKILLed driver shows its crash and relaunch in the driver table', async () => {
  const pid = Number(/started BenchDriver on BenchDevice \(.*pid (\d+)\)/.exec(hostSaid)![1]);
  process.kill(pid, 'SIGKILL');
  await until('the relaunch in the page', async () => {
    const rows = await page.$$eval('#drivers tr', (trs) => (trs as unknown as Shown[]).map((tr) => tr.innerText));
    return rows.some((r) => /BenchDriver[\s\S]*running\s+1\s+.*SIGKILL/.test(r));
  });
});

test('an app\'s user-client calls show as a rate', async () => {
  const port = IOMainPortCreate(socket);
  try {
    const connection = await IOServiceOpen((await IOServiceGetMatchingService(port, IOServiceNameMatching('OpenDriver')))!, 0);
    // Calls for a little over two of the explorer's one-second samples.
    for (const end = Date.now() + 2500; Date.now() < end; ) await IOConnectCallScalarMethod(connection, 0, [], 0);
    await until('the rate in the page', async () => /OpenDriver user-client calls\s*[1-9]\d*\/s/.test(await text('#rates')));
    await IOServiceClose(connection);
  } finally {
    port.close();
  }
});

test('an app refused a user client shows in the refusals, with the entitlement named', async () => {
  const port = IOMainPortCreate(socket);
  try {
    const service = await IOServiceGetMatchingService(port, IOServiceNameMatching('BenchDriver'));
    await expect(IOServiceOpen(service!, 0)).rejects.toMatchObject({ code: kIOReturnNotPermitted });
  } finally {
    port.close();
  }
  await until('the refusal in the page', async () => (await text('#refusals')).includes('com.apple.developer.driverkit.userclient-access'));
  expect(await text('#refusals')).toMatch(/open BenchDriver \(type 0\)/);
  const shot = process.env.UPDATE_SCREENSHOT ? join(__dirname, '../../../docs/explorer.png') : join(work, 'explorer.png');
  mkdirSync(join(shot, '..'), { recursive: true });
  await page.screenshot({ path: shot });
  expect(existsSync(shot)).toBe(true);
});
