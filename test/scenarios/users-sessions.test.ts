import { describe, expect, it } from 'vitest';
import { createAccount, createApiKey } from '../../src/app/accounts/accounts.ts';
import { verifyPassword } from '../../src/domain/password.ts';
import { buildServer } from '../../src/http/server.ts';
import { ok } from '../builders.ts';
import { harness, tableCounts, type Harness } from '../support.ts';

/**
 * Dashboard users and their sessions (issue 19, point 2): staff sign in with email and password,
 * get an HttpOnly cookie, and act through the same /v1 API with their role's grants; writes made
 * with the cookie need the session's CSRF token; sign-in failures are throttled.
 */

type Signed = { token: string; csrf: string; body: any; setCookie: string };

async function signIn(h: Harness, email: string, password: string, headers: Record<string, string> = {}) {
  return await h.call('POST', '/v1/sessions', { email, password }, { key: null, headers });
}

async function signedIn(h: Harness, email: string, password: string): Promise<Signed> {
  const r = await signIn(h, email, password);
  if (r.status !== 200) throw new Error(`sign-in of ${email} → ${r.status} ${JSON.stringify(r.body)}`);
  const setCookie = String(r.headers['set-cookie']);
  const token = /^rebill_session=([^;]+)/.exec(setCookie)![1]!;
  return { token, csrf: r.body.csrf_token, body: r.body, setCookie };
}

/** A request made the way the dashboard makes it: the cookie, no API key, and the CSRF token if given. */
function asUser(h: Harness, s: { token: string; csrf?: string }) {
  return (method: string, url: string, body?: unknown, extra: Record<string, string> = {}) =>
    h.call(method, url, body, { key: null, headers: { cookie: `theme=dark; rebill_session=${s.token}`, ...(s.csrf ? { 'x-csrf-token': s.csrf } : {}), ...extra } });
}

const PASSWORD = 'a long enough passphrase';

describe('dashboard users and sessions', async () => {
  const h = await harness();
  const admin = await ok(h, 'POST', '/v1/users', { email: 'Ann.Admin@Example.com', password: PASSWORD, role: 'admin' });
  const reader = await ok(h, 'POST', '/v1/users', { email: 'rita@example.com', password: PASSWORD, role: 'read_only' });

  it('creates a user whose view and audit record hold no password nor hash, stored as an scrypt hash', async () => {
    expect(admin).toEqual({ id: expect.stringMatching(/^usr_/), object: 'user', email: 'ann.admin@example.com', role: 'admin', disabled: false,
      last_sign_in: null, created: '2027-01-01T00:00:00.000Z', updated: '2027-01-01T00:00:00.000Z' });
    const row = (await h.database.pool.query('SELECT password_hash FROM users WHERE id = $1', [admin.id])).rows[0];
    expect(row.password_hash).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, row.password_hash)).toBe(true);
    const audit = (await ok(h, 'GET', `/v1/audit_log?object_id=${admin.id}`)).data;
    expect(audit.map((e: any) => e.action)).toEqual(['user.created']);
    const stored = await h.database.pool.query('SELECT count(*)::int AS n FROM (SELECT x::text AS t FROM audit_log x UNION ALL SELECT y::text FROM events y) s WHERE t LIKE $1 OR t LIKE $2', [`%${PASSWORD}%`, '%$scrypt$%']);
    expect(stored.rows[0].n).toBe(0);
    expect(await ok(h, 'GET', `/v1/users/${admin.id}`)).toEqual(admin);
    expect((await ok(h, 'GET', '/v1/users')).data.map((u: any) => u.id)).toEqual([reader.id, admin.id]);
  });

  it('refuses a password under 12 or over 200 characters, and an email already taken in any account (case-insensitively)', async () => {
    const other = await createAccount(h.database.db, 'Other merchant');
    const before = await tableCounts(h);
    for (const [password, param] of [['elevenchars', 'password'], ['x'.repeat(201), 'password']]) {
      const r = await h.call('POST', '/v1/users', { email: 'new@example.com', password, role: 'support' });
      expect([r.status, r.body.error.code, r.body.error.param]).toEqual([400, 'parameter_invalid', param]);
    }
    const taken = await h.call('POST', '/v1/users', { email: 'RITA@example.com', password: PASSWORD, role: 'admin' }, { key: other.key.secret });
    expect([taken.status, taken.body.error.code, taken.body.error.param]).toEqual([400, 'email_taken', 'email']);
    expect(await tableCounts(h)).toEqual(before);
  });

  it('signs in: an HttpOnly, SameSite=Strict cookie (not Secure over plain-HTTP localhost) and the session with its CSRF token', async () => {
    const s = await signedIn(h, 'ANN.admin@example.com', PASSWORD);
    expect(s.setCookie).toMatch(/^rebill_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(s.body).toEqual({ id: expect.stringMatching(/^sess_/), object: 'session', user: { ...admin, last_sign_in: '2027-01-01T00:00:00.000Z' },
      role: 'admin', csrf_token: expect.any(String), created: '2027-01-01T00:00:00.000Z', expires_at: '2027-01-01T12:00:00.000Z' });
    // Only the token's hash is stored.
    const rows = await h.database.pool.query('SELECT x::text AS t FROM sessions x');
    for (const r of rows.rows) expect(r.t).not.toContain(s.token);
    expect((await asUser(h, s)('GET', '/v1/sessions/current')).body).toEqual({ ...s.body, user: { ...s.body.user } });
  });

  it('uses the cookie like an API key of the user\'s role: reads freely, writes only with the CSRF token, audited as the user', async () => {
    const s = await signedIn(h, 'ann.admin@example.com', PASSWORD);
    const as = asUser(h, { token: s.token });
    expect((await as('GET', '/v1/customers')).status).toBe(200);
    const before = await tableCounts(h);
    for (const csrf of [undefined, 'wrong', `${s.csrf}x`, s.csrf.slice(1)]) {
      const r = await as('POST', '/v1/customers', { email: 'csrf@example.com' }, csrf === undefined ? {} : { 'x-csrf-token': csrf });
      expect([r.status, r.body.error.code, r.body.error.param]).toEqual([403, 'csrf_token_invalid', 'x-csrf-token']);
    }
    expect(await tableCounts(h)).toEqual(before);
    const made = await asUser(h, s)('POST', '/v1/customers', { email: 'csrf@example.com' });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    expect((await ok(h, 'GET', `/v1/audit_log?object_id=${made.body.id}`)).data[0].actor).toBe(`user:${admin.id}`);
    // Another session's CSRF token does not open this one.
    const other = await signedIn(h, 'ann.admin@example.com', PASSWORD);
    expect((await asUser(h, { token: s.token, csrf: other.csrf })('POST', '/v1/customers', {})).body.error.code).toBe('csrf_token_invalid');
    // With an API key, the CSRF header is neither needed nor looked at.
    expect((await h.call('POST', '/v1/customers', {}, { headers: { cookie: `rebill_session=${s.token}` } })).status).toBe(200);
  });

  it('a read_only user reads but cannot write, even with the CSRF token, nor manage users', async () => {
    const s = await signedIn(h, 'rita@example.com', PASSWORD);
    const as = asUser(h, s);
    expect((await as('GET', '/v1/customers')).status).toBe(200);
    const before = await tableCounts(h);
    for (const [url, body] of [['/v1/customers', { email: 'nope@example.com' }], ['/v1/users', { email: 'x@example.com', password: PASSWORD, role: 'admin' }], [`/v1/users/${reader.id}`, { role: 'admin' }]] as const) {
      const r = await as('POST', url, body);
      expect([r.status, r.body.error.code], url).toEqual([403, 'insufficient_role']);
      expect(r.body.error.message).toContain("'read_only' user");
    }
    expect((await as('GET', '/v1/users')).status).toBe(403);
    expect(await tableCounts(h)).toEqual(before);
  });

  it('never adopts a cookie sent with the sign-in: the planted value stays invalid and the new token differs', async () => {
    const planted = 'attacker-chosen-value-0123456789abcdefghijk';
    const r = await signIn(h, 'rita@example.com', PASSWORD, { cookie: `rebill_session=${planted}` });
    expect(r.status).toBe(200);
    const token = /^rebill_session=([^;]+)/.exec(String(r.headers['set-cookie']))![1]!;
    expect(token).not.toBe(planted);
    expect((await asUser(h, { token: planted })('GET', '/v1/customers')).body.error.code).toBe('session_invalid');
    // A second sign-in is a second session with its own token; the first one's value never opens it.
    const first = await signedIn(h, 'rita@example.com', PASSWORD);
    const second = await signedIn(h, 'rita@example.com', PASSWORD);
    expect(second.token).not.toBe(first.token);
    const [a, b] = [await asUser(h, first)('GET', '/v1/sessions/current'), await asUser(h, second)('GET', '/v1/sessions/current')];
    expect(a.body.id).not.toBe(b.body.id);
    expect(a.body.csrf_token).not.toBe(b.body.csrf_token);
  });

  it('ends a session on sign-out (which needs the CSRF token too)', async () => {
    const s = await signedIn(h, 'rita@example.com', PASSWORD);
    expect((await asUser(h, { token: s.token })('DELETE', '/v1/sessions/current')).body.error.code).toBe('csrf_token_invalid');
    const out = await asUser(h, s)('DELETE', '/v1/sessions/current');
    expect(out.body).toEqual({ id: s.body.id, object: 'session', deleted: true });
    expect(String(out.headers['set-cookie'])).toMatch(/^rebill_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
    const after = await asUser(h, s)('GET', '/v1/customers');
    expect([after.status, after.body.error.code]).toEqual([401, 'session_invalid']);
    expect((await ok(h, 'GET', `/v1/audit_log?object_id=${s.body.id}`)).data.map((e: any) => e.action)).toEqual(['session.revoked', 'session.created']);
  });

  it('answers who is signed in only for a session: an API key has none', async () => {
    const r = await h.call('GET', '/v1/sessions/current');
    expect([r.status, r.body.error.code]).toEqual([400, 'session_required']);
    const none = await h.call('GET', '/v1/sessions/current', undefined, { key: null });
    expect([none.status, none.body.error.code]).toEqual([401, 'api_key_missing']);
  });

  it('stops a session 12 hours after sign-in (business clock)', async () => {
    const s = await signedIn(h, 'rita@example.com', PASSWORD);
    h.clock.advanceMs(12 * 3600_000 - 1000);
    expect((await asUser(h, s)('GET', '/v1/customers')).status).toBe(200);
    h.clock.advanceMs(1000);
    const r = await asUser(h, s)('GET', '/v1/customers');
    expect([r.status, r.body.error.code]).toEqual([401, 'session_invalid']);
  });

  it('stops a disabled user\'s sessions at once and refuses their sign-in like a wrong password; enabled again, they sign in', async () => {
    const s = await signedIn(h, 'rita@example.com', PASSWORD);
    const me = await signedIn(h, 'ann.admin@example.com', PASSWORD);
    const self = await asUser(h, me)('POST', `/v1/users/${admin.id}`, { disabled: true });
    expect([self.status, self.body.error.code, self.body.error.param]).toEqual([400, 'parameter_invalid', 'disabled']);
    const disabled = await asUser(h, me)('POST', `/v1/users/${reader.id}`, { disabled: true });
    expect(disabled.body).toMatchObject({ id: reader.id, disabled: true });
    expect((await asUser(h, s)('GET', '/v1/customers')).body.error.code).toBe('session_invalid');
    const refused = await signIn(h, 'rita@example.com', PASSWORD);
    expect([refused.status, refused.body.error.code]).toEqual([401, 'credentials_invalid']);
    await ok(h, 'POST', `/v1/users/${reader.id}`, { disabled: false });
    expect((await asUser(h, s)('GET', '/v1/customers')).status).toBe(401);
    expect((await signIn(h, 'rita@example.com', PASSWORD)).status).toBe(200);
    const audit = (await ok(h, 'GET', `/v1/audit_log?object_id=${reader.id}`)).data;
    expect(audit[1]).toMatchObject({ action: 'user.updated', actor: `user:${admin.id}`, before: { disabled: false }, after: { disabled: true } });
  });

  it("a session acts with the user's current role: a change applies to it at once", async () => {
    const s = await signedIn(h, 'rita@example.com', PASSWORD);
    expect((await asUser(h, s)('POST', '/v1/customers', {})).status).toBe(403);
    await ok(h, 'POST', `/v1/users/${reader.id}`, { role: 'support' });
    expect((await asUser(h, s)('POST', '/v1/customers', {})).status).toBe(200);
    expect((await asUser(h, s)('GET', '/v1/sessions/current')).body.role).toBe('support');
    await ok(h, 'POST', `/v1/users/${reader.id}`, { role: 'read_only' });
    expect((await asUser(h, s)('POST', '/v1/customers', {})).body.error.code).toBe('insufficient_role');
  });

  it('a new password ends the user\'s sessions; the old one no longer signs in', async () => {
    const s = await signedIn(h, 'rita@example.com', PASSWORD);
    await ok(h, 'POST', `/v1/users/${reader.id}`, { password: 'a brand new passphrase' });
    expect((await asUser(h, s)('GET', '/v1/customers')).body.error.code).toBe('session_invalid');
    expect((await signIn(h, 'rita@example.com', PASSWORD)).status).toBe(401);
    expect((await signIn(h, 'rita@example.com', 'a brand new passphrase')).status).toBe(200);
    const entry = (await ok(h, 'GET', `/v1/audit_log?object_id=${reader.id}`)).data.find((e: any) => e.after?.password_changed);
    expect(JSON.stringify(entry)).not.toContain('brand new');
    await ok(h, 'POST', `/v1/users/${reader.id}`, { password: PASSWORD });
  });

  it("does not show or change another account's users: their ids are unknown ids", async () => {
    const other = await createAccount(h.database.db, 'Third merchant');
    const before = await tableCounts(h);
    for (const [method, body] of [['GET', undefined], ['POST', { role: 'admin' }], ['POST', { disabled: true }]] as const) {
      const r = await h.call(method, `/v1/users/${admin.id}`, body, { key: other.key.secret });
      expect([r.status, r.body.error.code, r.body.error.param]).toEqual([404, 'resource_missing', 'id']);
    }
    expect((await h.call('GET', '/v1/users', undefined, { key: other.key.secret })).body.data).toEqual([]);
    expect(await tableCounts(h)).toEqual(before);
  });
});

describe('changing one\'s own password', async () => {
  const h = await harness();
  const NEW = 'a fresh passphrase of mine';
  const pat = await ok(h, 'POST', '/v1/users', { email: 'pat@example.com', password: PASSWORD, role: 'support' });
  const change = (s: { token: string; csrf?: string }, body: unknown, extra: Record<string, string> = {}) =>
    asUser(h, s)('POST', '/v1/sessions/current/password', body, extra);
  const hash = async () => (await h.database.pool.query('SELECT password_hash FROM users WHERE id = $1', [pat.id])).rows[0].password_hash as string;
  const attempts = async () => (await h.database.pool.query('SELECT count(*)::int AS n FROM login_attempts')).rows[0].n as number;
  const cookieToken = (r: { headers: Record<string, unknown> }) => /^rebill_session=([A-Za-z0-9_-]{43}); Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/.exec(String(r.headers['set-cookie']))?.[1];

  it('takes the new password: the old one no longer signs in, every other session ends, and this one moves to a new cookie', async () => {
    const s = await signedIn(h, 'pat@example.com', PASSWORD);
    const elsewhere = await signedIn(h, 'pat@example.com', PASSWORD);
    h.clock.advanceMs(60_000);
    const r = await change(s, { current_password: PASSWORD, password: NEW });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ ...pat, last_sign_in: '2027-01-01T00:00:00.000Z', updated: '2027-01-01T00:01:00.000Z' });
    expect(await verifyPassword(NEW, await hash())).toBe(true);
    // The signed-in user stays signed in, with a new token and CSRF token; the old cookie and the other session are over.
    const token = cookieToken(r)!;
    expect(token).toBeDefined();
    expect(token).not.toBe(s.token);
    for (const old of [s, elsewhere]) expect((await asUser(h, old)('GET', '/v1/customers')).body.error.code).toBe('session_invalid');
    const current = await asUser(h, { token })('GET', '/v1/sessions/current');
    expect(current.body).toMatchObject({ user: { id: pat.id }, expires_at: '2027-01-01T12:01:00.000Z' });
    expect(current.body.csrf_token).not.toBe(s.csrf);
    expect((await asUser(h, { token, csrf: s.csrf })('POST', '/v1/customers', {})).body.error.code).toBe('csrf_token_invalid');
    expect((await asUser(h, { token, csrf: current.body.csrf_token })('POST', '/v1/customers', {})).status).toBe(200);
    expect((await signIn(h, 'pat@example.com', PASSWORD)).status).toBe(401);
    expect((await signIn(h, 'pat@example.com', NEW)).status).toBe(200);
    const audit = (await ok(h, 'GET', `/v1/audit_log?object_id=${pat.id}`)).data;
    expect(audit[0]).toMatchObject({ action: 'user.password_changed', actor: `user:${pat.id}`, after: { id: pat.id, sessions_ended: 2, session: current.body.id } });
    expect((await ok(h, 'GET', `/v1/audit_log?object_id=${current.body.id}`)).data[0]).toMatchObject({ action: 'session.created', after: { replaces: s.body.id } });
    // Neither password nor any hash in the answer, the audit log, the events or the idempotency records.
    expect(JSON.stringify(r.body)).not.toMatch(/passphrase|scrypt/);
    const stored = await h.database.pool.query(`SELECT count(*)::int AS n FROM (SELECT x::text AS t FROM audit_log x UNION ALL SELECT y::text FROM events y
      UNION ALL SELECT z::text FROM idempotency_keys z) s WHERE t LIKE '%passphrase%' OR t LIKE '%$scrypt$%'`);
    expect(stored.rows[0].n).toBe(0);
    await ok(h, 'POST', `/v1/users/${pat.id}`, { password: PASSWORD });
  });

  it('keeps the passwords out of the Idempotency-Key fingerprint: a retry with other passwords is a replay that changes nothing', async () => {
    const s = await signedIn(h, 'pat@example.com', PASSWORD);
    const first = await change(s, { current_password: PASSWORD, password: NEW }, { 'idempotency-key': 'own-password-1' });
    expect(first.status).toBe(200);
    const next = await asUser(h, { token: cookieToken(first)! })('GET', '/v1/sessions/current');
    const again = await change({ token: cookieToken(first)!, csrf: next.body.csrf_token }, { current_password: NEW, password: 'yet another passphrase' }, { 'idempotency-key': 'own-password-1' });
    expect([again.status, again.headers['idempotent-replayed'], again.body]).toEqual([200, 'true', first.body]);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(await verifyPassword(NEW, await hash())).toBe(true);
    await ok(h, 'POST', `/v1/users/${pat.id}`, { password: PASSWORD });
  });

  it('refuses a wrong current password as a failed sign-in: the 6th try is throttled even when right, sign-in too, and nothing changes', async () => {
    h.clock.advanceMs(16 * 60_000);
    const s = await signedIn(h, 'pat@example.com', PASSWORD);
    const before = await hash();
    for (let i = 0; i < 5; i++) {
      const r = await change(s, { current_password: `wrong guess ${i}`, password: NEW });
      expect([r.status, r.body.error.type, r.body.error.code, r.body.error.param]).toEqual([400, 'invalid_request_error', 'current_password_incorrect', 'current_password']);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    expect(await attempts()).toBe(5);
    // With an Idempotency-Key: a rate limit is no result, so the key is not spent on it.
    const key = { 'idempotency-key': 'own-password-after-block' };
    const limited = await change(s, { current_password: PASSWORD, password: NEW }, key);
    expect([limited.status, limited.body.error.code, limited.headers['retry-after']]).toEqual([429, 'login_rate_limited', '900']);
    expect((await signIn(h, 'pat@example.com', PASSWORD)).status).toBe(429);
    // A wrong guess does not sign the user out, and the password is what it was.
    expect((await asUser(h, s)('GET', '/v1/sessions/current')).status).toBe(200);
    expect(await hash()).toBe(before);
    h.clock.advanceMs(15 * 60_000);
    const r = await change(s, { current_password: PASSWORD, password: NEW }, key);
    expect([r.status, r.headers['idempotent-replayed']], JSON.stringify(r.body)).toEqual([200, undefined]);
    // Succeeded: the email's failures are forgiven, as after a sign-in.
    expect(await attempts()).toBe(0);
    await ok(h, 'POST', `/v1/users/${pat.id}`, { password: PASSWORD });
  });

  it('refuses a new password equal to the current one, too short or too long, and fields of the wrong type, changing nothing', async () => {
    const s = await signedIn(h, 'pat@example.com', PASSWORD);
    const before = await tableCounts(h);
    const cases: [unknown, string, string][] = [
      [{ current_password: PASSWORD, password: PASSWORD }, 'password_unchanged', 'password'],
      [{ current_password: PASSWORD, password: 'elevenchars' }, 'parameter_invalid', 'password'],
      [{ current_password: PASSWORD, password: 'x'.repeat(201) }, 'parameter_invalid', 'password'],
      [{ current_password: PASSWORD, password: 123456789012345 }, 'parameter_invalid', 'password'],
      [{ current_password: 123456789012345, password: NEW }, 'parameter_invalid', 'current_password'],
      [{ current_password: '', password: NEW }, 'parameter_invalid', 'current_password'],
      [{ current_password: [PASSWORD], password: NEW }, 'parameter_invalid', 'current_password'],
      [{ password: NEW }, 'parameter_missing', 'current_password'],
      [{ current_password: PASSWORD }, 'parameter_missing', 'password'],
      [{ current_password: PASSWORD, password: NEW, email: 'other@example.com' }, 'parameter_unknown', 'email'],
    ];
    for (const [body, code, param] of cases) {
      const r = await change(s, body);
      expect([r.status, r.body.error.code, r.body.error.param], JSON.stringify(body)).toEqual([400, code, param]);
    }
    expect(await tableCounts(h)).toEqual(before);
    expect(await verifyPassword(PASSWORD, await hash())).toBe(true);
  });

  it('is for a signed-in user only: an API key of any role gets 400 session_required, and no cookie a 401', async () => {
    const before = await tableCounts(h);
    const body = { current_password: PASSWORD, password: NEW };
    for (const role of ['admin', 'read_only'] as const) {
      const key = (await createApiKey(h.database.db, h.accountId, role)).secret;
      const r = await h.call('POST', '/v1/sessions/current/password', body, { key });
      expect([r.status, r.body.error.code]).toEqual([400, 'session_required']);
    }
    const none = await h.call('POST', '/v1/sessions/current/password', body, { key: null });
    expect([none.status, none.body.error.code]).toEqual([401, 'api_key_missing']);
    expect(await tableCounts(h)).toEqual({ ...before, api_keys: before.api_keys! + 2 });
    expect(await verifyPassword(PASSWORD, await hash())).toBe(true);
  });

  it('needs the CSRF token like every write made with the cookie: without it, no password is even checked', async () => {
    const s = await signedIn(h, 'pat@example.com', PASSWORD);
    const before = await tableCounts(h);
    for (const csrf of [undefined, 'wrong', `${s.csrf}x`]) {
      const r = await change({ token: s.token, csrf }, { current_password: PASSWORD, password: NEW });
      expect([r.status, r.body.error.code, r.body.error.param]).toEqual([403, 'csrf_token_invalid', 'x-csrf-token']);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    expect(await tableCounts(h)).toEqual(before);
    expect(await verifyPassword(PASSWORD, await hash())).toBe(true);
    expect((await asUser(h, s)('GET', '/v1/sessions/current')).status).toBe(200);
  });
});

describe('sign-in throttling and enumeration', async () => {
  const h = await harness();
  await ok(h, 'POST', '/v1/users', { email: 'sam@example.com', password: PASSWORD, role: 'support' });

  it('answers the same for an unknown email and a wrong password, in about the same time', async () => {
    const time = async (email: string) => {
      const start = performance.now();
      const r = await signIn(h, email, 'not the password at all');
      return { ms: performance.now() - start, status: r.status, body: r.body };
    };
    const unknown = [await time('nobody@example.com'), await time('nobody2@example.com')];
    const wrong = [await time('sam@example.com'), await time('sam@example.com')];
    for (const r of [...unknown, ...wrong]) expect([r.status, r.body]).toEqual([401, wrong[0]!.body]);
    expect(wrong[0]!.body.error).toMatchObject({ code: 'credentials_invalid', param: null });
    // Both check a password (~0.1–0.3 s of scrypt): an unknown email is not answered at once.
    const [u, w] = [Math.min(...unknown.map((x) => x.ms)), Math.min(...wrong.map((x) => x.ms))];
    expect(u / w).toBeGreaterThan(0.4);
    expect(u / w).toBeLessThan(2.5);
  });

  it('refuses the 6th attempt for an email within 15 minutes, even with the right password, then lets it through', async () => {
    h.clock.advanceMs(16 * 60_000);
    for (let i = 0; i < 5; i++) expect((await signIn(h, 'SAM@example.com', `wrong guess ${i}`)).status).toBe(401);
    h.clock.advanceMs(60_000);
    const limited = await signIn(h, 'sam@example.com', PASSWORD);
    expect([limited.status, limited.body.error.type, limited.body.error.code]).toEqual([429, 'rate_limit_error', 'login_rate_limited']);
    expect(limited.headers['retry-after']).toBe('840');
    expect(limited.headers['set-cookie']).toBeUndefined();
    h.clock.advanceMs(839_000);
    expect((await signIn(h, 'sam@example.com', PASSWORD)).status).toBe(429);
    h.clock.advanceMs(1000);
    expect((await signIn(h, 'sam@example.com', PASSWORD)).status).toBe(200);
    // Signed in: the email's failures are forgiven.
    expect((await signIn(h, 'sam@example.com', 'one more wrong guess')).status).toBe(401);
    expect((await signIn(h, 'sam@example.com', PASSWORD)).status).toBe(200);
  });

  it('holds across processes: a burst of guesses spread over two servers checks at most 5 passwords', async () => {
    h.clock.advanceMs(16 * 60_000);
    const second = await buildServer(h.deps, { logLevel: 'silent' });
    const bases = [await second.listen({ port: 0, host: '127.0.0.1' }), `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`];
    const guess = (i: number) => fetch(`${bases[i % 2]}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'sam@example.com', password: `burst guess ${i}` }) }).then((r) => r.status);
    const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => guess(i)));
    await second.close();
    expect(statuses.filter((x) => x === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.every((x) => x === 401 || x === 429)).toBe(true);
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(5);
  });

  it('refuses a client address after 20 failures across emails, whatever the email', async () => {
    h.clock.advanceMs(16 * 60_000);
    for (let i = 0; i < 20; i++) expect((await signIn(h, `guess${i}@example.com`, 'wrong password')).status).toBe(401);
    const limited = await signIn(h, 'sam@example.com', PASSWORD);
    expect([limited.status, limited.body.error.code, limited.headers['retry-after']]).toEqual([429, 'login_rate_limited', '900']);
    h.clock.advanceMs(15 * 60_000);
    expect((await signIn(h, 'sam@example.com', PASSWORD)).status).toBe(200);
  });
});

describe('cookie attributes and logs', async () => {
  const h = await harness();
  await ok(h, 'POST', '/v1/users', { email: 'lee@example.com', password: PASSWORD, role: 'admin' });
  const inject = (headers: Record<string, string>) => h.app.inject({ method: 'POST', url: '/v1/sessions', headers: { 'content-type': 'application/json', ...headers }, payload: { email: 'lee@example.com', password: PASSWORD } });

  it('marks the cookie Secure for a public host, and not when the configured public URL is plain http://', async () => {
    expect(String((await inject({ host: 'billing.example.com' })).headers['set-cookie'])).toMatch(/; Secure$/);
    h.deps.publicUrl = 'http://billing.internal:4000';
    expect(String((await inject({ host: 'billing.internal:4000' })).headers['set-cookie'])).not.toContain('Secure');
    delete h.deps.publicUrl;
  });

  it('logs no password, session token nor CSRF token of a user creation, a sign-in, a write made with the cookie and a password change', async () => {
    const lines: string[] = [];
    const app = await buildServer(h.deps, { logLevel: 'trace', logStream: { write: (line: string) => { lines.push(line); } } });
    const secret = 'logged nowhere, ever 123';
    const created = await app.inject({ method: 'POST', url: '/v1/users', headers: { authorization: `Bearer ${h.key}` }, payload: { email: 'log@example.com', password: secret, role: 'support' } });
    expect(created.statusCode).toBe(200);
    const signIn = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { email: 'log@example.com', password: secret } });
    const token = /^rebill_session=([^;]+)/.exec(String(signIn.headers['set-cookie']))![1]!;
    const csrf = signIn.json().csrf_token as string;
    const wrote = await app.inject({ method: 'POST', url: '/v1/customers', headers: { cookie: `rebill_session=${token}`, 'x-csrf-token': csrf }, payload: { name: 'Logged' } });
    expect(wrote.statusCode).toBe(200);
    await app.inject({ method: 'POST', url: '/v1/sessions', payload: { email: 'log@example.com', password: `${secret}!` } });
    const renewed = 'renewed and still unlogged 456';
    const changed = await app.inject({ method: 'POST', url: '/v1/sessions/current/password', headers: { cookie: `rebill_session=${token}`, 'x-csrf-token': csrf },
      payload: { current_password: secret, password: renewed } });
    expect(changed.statusCode).toBe(200);
    const newToken = /^rebill_session=([^;]+)/.exec(String(changed.headers['set-cookie']))![1]!;
    await app.close();
    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(8);
    expect(text).toContain('/v1/sessions/current/password');
    for (const s of [secret, renewed, token, newToken, csrf, h.key]) expect(text).not.toContain(s);
  });
});
