-- Dashboard users, their sessions, and the sign-in throttle (issue 19, point 2).

-- A person who signs in to the dashboard. Same roles as API keys. Sign-in is by email alone,
-- before any account is known, so an email is unique across ALL accounts (case-insensitively):
-- the one index here that does not lead with account_id, on purpose.
-- password_hash is a self-describing scrypt string (src/domain/password.ts); never the password.
CREATE TABLE users (
  account_id        text NOT NULL REFERENCES accounts(id),
  id                text NOT NULL,
  email             text NOT NULL CHECK (email = lower(email)),
  role              text NOT NULL CHECK (role IN ('admin', 'finance', 'support', 'read_only', 'agent')),
  password_hash     text NOT NULL CHECK (password_hash LIKE '$scrypt$%'),
  disabled          boolean NOT NULL DEFAULT false,
  last_sign_in_at   timestamptz,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  version           integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id)
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- One sign-in. The cookie carries a random 32-byte token; only its sha256 is kept, so a copy of
-- this table signs nobody in. The CSRF token is an HMAC of the session token (not stored either).
-- A session ends at expires_at (12 h after sign-in), at sign-out (revoked_at), or at once when its
-- user is disabled (checked on every request).
CREATE TABLE sessions (
  account_id     text NOT NULL,
  id             text NOT NULL,
  user_id        text NOT NULL,
  token_hash     text NOT NULL,
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL,
  revoked_at     timestamptz,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id)
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_idx ON sessions (account_id, user_id) WHERE revoked_at IS NULL;

-- Sign-in attempts that count against the throttle (src/app/users/login-throttle.ts): failures,
-- and attempts still being checked. Keyed by who is tried (sha256 of the lower-cased email, so a
-- password typed into the email box is not kept) and from where; no account is known yet, so no
-- account_id. Rows older than the window are deleted as sign-ins go by.
CREATE TABLE login_attempts (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email_hash  text NOT NULL,
  ip          text NOT NULL,
  at          timestamptz NOT NULL
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email_hash, at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, at);
CREATE INDEX login_attempts_at_idx ON login_attempts (at);
