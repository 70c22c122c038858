import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '@switchboard/api/testing/services';

describe('Redis pub/sub on the provisioned server', () => {
  const publisher = new Redis(testRedisUrl());
  const subscriber = new Redis(testRedisUrl());

  afterAll(() => {
    publisher.disconnect();
    subscriber.disconnect();
  });

  it('delivers a message published on one connection to a subscriber on another, in order', async () => {
    const channel = `test:pubsub:${process.pid}:${Date.now()}`;
    const received: string[] = [];
    const done = new Promise<void>((resolve) => {
      subscriber.on('message', (ch: string, message: string) => {
        if (ch !== channel) return;
        received.push(message);
        if (received.length === 3) resolve();
      });
    });
    await subscriber.subscribe(channel);
    for (const message of ['one', 'two', 'three']) {
      expect(await publisher.publish(channel, message)).toBe(1);
    }
    await done;
    expect(received).toEqual(['one', 'two', 'three']);
  });
});
