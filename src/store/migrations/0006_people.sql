-- Migration 6: people (issue 15): dashboard users and operators, memberships, custom roles,
-- invitations, sessions, recovery codes, password history, merchant security policies, and the
-- operator freeze of a merchant. Shipped: never edit, add a new file. Times in microseconds.
-- A dashboard user (kind 'user', id usr_…) or an operator (kind 'operator', id opr_…); one
-- address may have one account of each kind. email_key: NFKC + case-folded (unique per kind).
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('user', 'operator')),
  email TEXT NOT NULL,
  email_key TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER,
  mfa_secret_sealed BLOB,
  mfa_pending_sealed BLOB,
  mfa_enrolled_at INTEGER,
  mfa_last_step INTEGER NOT NULL DEFAULT 0,
  operator_role TEXT,
  role_epoch INTEGER NOT NULL DEFAULT 0,
  password_changed_at INTEGER NOT NULL,
  last_sign_in_at INTEGER,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  UNIQUE (kind, email_key)
);
-- A user's role in a merchant: a built-in role id ('owner', 'admin', …) or a custom role_… id.
CREATE TABLE memberships (
  user_id TEXT NOT NULL REFERENCES users(id),
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  role_id TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  PRIMARY KEY (user_id, merchant_id)
);
CREATE INDEX memberships_by_merchant ON memberships(merchant_id, created, user_id);
-- Custom roles: a merchant's named sets of permissions (built-in roles live in code).
CREATE TABLE roles (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  description TEXT,
  permissions TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  UNIQUE (merchant_id, name_key)
);
-- Invitations: the token is 256 random bits, kept only as its SHA-256 (hex).
CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  email TEXT NOT NULL,
  email_key TEXT NOT NULL,
  role_id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  invited_by TEXT NOT NULL,
  created INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  used_by TEXT,
  revoked_at INTEGER
);
CREATE INDEX invitations_by_merchant ON invitations(merchant_id, created, id);
-- Sessions of users and operators: the cookie value (256 random bits) kept only as its SHA-256.
-- Deadlines are computed from created/last_seen and the current policies on every request.
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL CHECK (kind IN ('user', 'operator')),
  created INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  mfa_verified_at INTEGER,
  reauthenticated_at INTEGER,
  role_epoch INTEGER NOT NULL,
  mfa_failures INTEGER NOT NULL DEFAULT 0,
  mfa_window_start INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id, created);
-- MFA recovery codes: argon2id hashes (60-bit codes: ASVS 6.5.2 wants a password hash).
CREATE TABLE recovery_codes (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  code_hash TEXT NOT NULL,
  created INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX recovery_codes_by_user ON recovery_codes(user_id);
-- The last passwords of each account (argon2id), newest kept: none of the last 4 may return.
CREATE TABLE password_history (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  password_hash TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX password_history_by_user ON password_history(user_id, created);
-- A merchant's security policy (no row: the defaults). May shorten, never lengthen.
CREATE TABLE security_policies (
  merchant_id TEXT PRIMARY KEY REFERENCES merchants(id),
  mfa_required_for_all INTEGER NOT NULL DEFAULT 0,
  idle_timeout_minutes INTEGER NOT NULL DEFAULT 15
    CHECK (idle_timeout_minutes BETWEEN 1 AND 15),
  absolute_timeout_hours INTEGER NOT NULL DEFAULT 12
    CHECK (absolute_timeout_hours BETWEEN 1 AND 12),
  updated INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);
-- Operator freeze: a frozen merchant's keys and sessions are refused (403 merchant_frozen).
ALTER TABLE merchants ADD COLUMN frozen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE merchants ADD COLUMN frozen_at INTEGER;
ALTER TABLE merchants ADD COLUMN frozen_reason TEXT;
ALTER TABLE merchants ADD COLUMN frozen_by TEXT;
