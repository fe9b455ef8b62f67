/** Channels a customer accepts messages on: email unless turned off, SMS only when turned on. */
export type Preferences = { email: boolean; sms: boolean };

export function preferencesOf(v: unknown): Preferences {
  const p = (typeof v === 'string' ? JSON.parse(v) : v ?? {}) as Partial<Preferences>;
  return { email: p.email ?? true, sms: p.sms ?? false };
}

/** An email's Message-ID, from its message row: every try and resend of one message carries the same. */
export const messageIdOf = (notificationId: string) => `<${notificationId}@rebill.local>`;
