import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailSink, type MailSink } from './mail-sink.ts';

describe('the development mail sink', () => {
  let dir: string;
  let sink: MailSink;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-mail-'));
    sink = await startMailSink({ dir: path.join(dir, 'mail') });
  });
  afterAll(async () => {
    await sink?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes every mail it receives as an .eml file a mail client opens', async () => {
    const transport = nodemailer.createTransport(sink.url);
    try {
      await transport.sendMail({ from: 'switchboard@localhost', to: 'alice@example.test', subject: 'Hello from dev', text: 'Body text' });
    } finally {
      transport.close();
    }
    const mail = await sink.waitFor((m) => m.parsed.subject === 'Hello from dev');
    expect(mail.envelope).toEqual({ from: 'switchboard@localhost', to: ['alice@example.test'] });
    expect(mail.file).toMatch(/\.eml$/);
    expect(path.dirname(mail.file!)).toBe(path.join(dir, 'mail'));
    const raw = fs.readFileSync(mail.file!, 'utf8');
    expect(raw).toContain('Subject: Hello from dev');
    expect(raw).toContain('Body text');
  });
});
