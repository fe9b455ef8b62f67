/** The only way Rebill code learns the time. Tests and test clocks substitute their own. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stays where it is put; for tests and scripted runs. */
export class ManualClock implements Clock {
  constructor(private t: Date) {}
  now(): Date { return new Date(this.t.getTime()); }
  set(t: Date): void { this.t = new Date(t.getTime()); }
  advanceMs(ms: number): void { this.t = new Date(this.t.getTime() + ms); }
}
