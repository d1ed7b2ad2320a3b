// Response bodies: the /v1 objects of docs/openapi.yaml and the dashboard's own (docs/dashboard-api.md).

export interface List<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export type MfaState = 'required' | 'enroll' | 'satisfied';

export interface SessionStatus {
  mfa: MfaState;
  csrf_token: string;
}

export interface Membership {
  merchant: { id: string; name: string; frozen?: boolean };
  role: { id: string; name: string; builtin: boolean };
  permissions: string[];
  pii_masked: boolean;
  policy?: SecurityPolicy;
}

export interface Me {
  user: { id: string; email: string; created?: number; mfa: { enrolled: boolean; required: boolean; recovery_codes_left?: number } };
  session: { id: string; mfa: MfaState; created: number; idle_expires_at: number; expires_at: number; reauthenticated_until?: number };
  csrf_token: string;
  memberships: Membership[];
}

export interface LastError {
  code: string;
  decline_code: string | null;
  message: string;
}

export interface Attempt {
  id: string;
  operation: 'authorize' | 'capture' | 'void' | 'refund';
  connector: string;
  connector_account: string;
  status: string;
  amount: number;
  psp_reference: string | null;
  decline_code: string | null;
  error_code: string | null;
  latency_ms: number | null;
  routing_reason: string;
  created: number;
}

export interface Payment {
  id: string;
  amount: number;
  amount_capturable: number;
  amount_received: number;
  amount_refunded: number;
  currency: string;
  status: string;
  capture_method: 'automatic' | 'manual';
  payment_method: string | null;
  description: string | null;
  metadata: Record<string, string>;
  livemode: boolean;
  connector: string | null;
  connector_account: string | null;
  psp_reference: string | null;
  last_error: LastError | null;
  created: number;
  attempts?: Attempt[];
}

export interface Refund {
  id: string;
  payment: string;
  amount: number;
  currency: string;
  status: string;
  reason: string | null;
  psp_reference: string | null;
  failure_code: string | null;
  livemode: boolean;
  created: number;
}

export interface ApiEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  data: { object: Record<string, unknown> };
}

export interface WebhookAttempt {
  attempt: number;
  time: number;
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
}

export interface WebhookDelivery {
  id: string;
  event: string;
  endpoint: string;
  status: string;
  attempt_count: number;
  next_attempt_at?: number | null;
  created: number;
  attempts: WebhookAttempt[];
}

export interface ApiKey {
  id: string;
  type: 'secret' | 'restricted' | 'publishable';
  livemode: boolean;
  prefix: string;
  last4: string;
  scopes: string[] | null;
  allowed_cidrs: string[];
  status: string;
  created: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  last_used_ip: string | null;
  rolled_to: string | null;
  secret?: string;
  rolled_from?: string;
}

export interface ConnectorAccount {
  id: string;
  connector: 'sandbox' | 'stripe' | 'adyen';
  label: string;
  base_url: string | null;
  status: 'active' | 'disabled';
  livemode: boolean;
  credentials: { fingerprint: string; last4: string } | null;
  created: number;
  updated: number;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  enabled_events: string[];
  description: string | null;
  status: string;
  livemode: boolean;
  created: number;
  updated: number;
  previous_secret_expires_at: number | null;
  secret?: string;
}

export interface Role {
  id: string;
  name: string;
  description?: string | null;
  builtin: boolean;
  permissions: string[];
  users?: number;
}

export interface MerchantUser {
  id: string;
  email: string;
  role: { id: string; name: string; builtin: boolean };
  mfa_enrolled: boolean;
  last_sign_in_at: number | null;
  created: number;
}

export interface Invitation {
  id: string;
  email: string;
  role: { id: string; name: string; builtin?: boolean };
  status: string;
  created: number;
  expires_at: number;
  invite_url?: string;
}

export interface SessionInfo {
  id: string;
  current: boolean;
  mfa: MfaState;
  created: number;
  last_seen_at: number;
  idle_expires_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
}

export interface SecurityPolicy {
  mfa_required_for_all: boolean;
  idle_timeout_minutes: number;
  absolute_timeout_hours: number;
  // Automatic containment (docs/security-monitoring.md); absent in /me's copy of the policy.
  auto_block_ip?: boolean;
  auto_revoke_key?: boolean;
  updated?: number | null;
  updated_by?: string | null;
}

export interface AuditEvent {
  id: string;
  seq?: number;
  merchant?: string | null;
  created: number;
  actor: { type: string; id: string; email?: string | null };
  action: string;
  target: string;
  outcome: string;
  source_ip: string | null;
  request_id: string;
  details: Record<string, unknown>;
}

export interface StatsBucket {
  start: number;
  attempts: number;
  succeeded: number;
  failed: number;
  processing: number;
  volume: Record<string, number>;
}

export interface PaymentStats {
  from: number;
  to: number;
  interval: 'hour' | 'day';
  connector_accounts: { connector_account: string; label: string; connector: string; buckets: StatsBucket[] }[];
}

export interface DeclineStats {
  total: number;
  data: { decline_code: string | null; count: number }[];
}

export interface WebhookStats {
  endpoints: {
    endpoint: string;
    url: string;
    status: string;
    deliveries: { succeeded: number; failed: number; pending: number };
    attempts: { total: number; failed: number };
    avg_latency_ms: number | null;
    last_success_at: number | null;
    last_failure_at: number | null;
  }[];
  buckets: { start: number; attempts: number; failed: number }[];
}

export const EVENT_TYPES = [
  'payment.succeeded',
  'payment.failed',
  'payment.processing',
  'payment.requires_capture',
  'payment.captured',
  'payment.cancelled',
  'refund.succeeded',
  'refund.failed',
  'security.alert',
  'user.invited',
];

export const PAYMENT_STATUSES = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'succeeded',
  'failed',
  'cancelled',
];

export const KEY_SCOPES = [
  'payments:read',
  'payments:write',
  'refunds:write',
  'connectors:read',
  'connectors:write',
  'routing:read',
  'routing:write',
  'webhooks:read',
  'webhooks:write',
  'events:read',
  'api_keys:write',
];

// docs/dashboard-api.md §2.
export const PERMISSIONS = [
  'payments:read',
  'payments:write',
  'refunds:write',
  'events:read',
  'webhooks:read',
  'webhooks:write',
  'api_keys:read',
  'api_keys:write',
  'connectors:read',
  'connectors:write',
  'users:read',
  'users:write',
  'roles:write',
  'settings:read',
  'settings:write',
  'audit:read',
  'pii:read',
];
