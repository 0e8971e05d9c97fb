// poller.ts: reads GET /api/v1/studies once a second (never two at a time) and hands each answer
// to the listener; a failed poll goes to the error banner and polling goes on.

import { apiGet } from './api';
import { reportError } from './banner';
import type { StudiesResponse } from './types';

export const POLL_INTERVAL_MS = 1000;

export class Poller {
  private timer: number | undefined;
  private inflight = false;
  latest: StudiesResponse | null = null;

  constructor(private readonly listener: (studies: StudiesResponse) => void) {}

  // start: polls now and then every POLL_INTERVAL_MS after each answer.
  start(): void {
    void this.pollNow();
  }

  // pollNow: one poll at once (skipped while one is in flight).
  async pollNow(): Promise<void> {
    if (this.inflight) return;
    this.inflight = true;
    window.clearTimeout(this.timer);
    try {
      this.latest = await apiGet<StudiesResponse>('/api/v1/studies');
      reportError('poll', null);
      this.listener(this.latest);
    } catch (e) {
      reportError('poll', e);
    } finally {
      this.inflight = false;
      this.timer = window.setTimeout(() => void this.pollNow(), POLL_INTERVAL_MS);
    }
  }
}
