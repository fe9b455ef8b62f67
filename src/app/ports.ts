import type { UsageStore } from './usage/store.ts';
import type { Kysely } from 'kysely';
import type { NormalizedDecline } from '../domain/declines.ts';
import type { DisputeStatus } from '../domain/dispute-status.ts';
import type { GatewayType } from '../domain/gateway-types.ts';
import type { UrlPolicy } from '../domain/webhook-url.ts';
import type { Logger } from 'pino';
import type { Clock } from '../adapters/clock.ts';
import type { DB } from '../adapters/postgres/schema.ts';
import type { Address } from '../domain/customer-tax.ts';
import type { JobCatalogue } from './jobs/catalogue.ts';
import type { AutomaticTaxStatus, RegisteredRate } from '../domain/line-tax.ts';

/**
 * What a gateway said about one charge. `processing` (bank debits, UPI, e-mandates) and
 * `requires_action` (3-D Secure) are not final: the attempt stays open until the processor's
 * webhook or a later status query settles it.
 */
export type ChargeOutcome =
  | { status: 'succeeded'; chargeId: string }
  | { status: 'processing'; chargeId: string }
  | { status: 'requires_action'; chargeId: string; actionUrl: string | null }
  /** `decline`: normalized by the adapter (src/domain/declines.ts); `gatewayCode`: the processor's own code, kept for the record. */
  | { status: 'failed'; chargeId: string | null; decline: NormalizedDecline; gatewayCode: string; message: string };

export type ChargeRequest = {
  idempotencyKey: string;
  /** Rebill's attempt id: stored with the charge (Stripe metadata, Razorpay receipt) so `retrieve` can find it once the key has expired. */
  attemptId: string;
  token: string;
  /** The processor's customer id of the payment method, when it has one. */
  gatewayCustomer: string | null;
  amount: bigint;     // minor units; the adapter converts to the gateway's unit if it differs
  currency: string;   // lower-case ISO 4217
  reference: string;  // our invoice id, for the gateway's records
  customerId: string; // Rebill's customer id
  /** 1 for the invoice's first attempt, then 2, 3, … */
  attemptNumber: number;
  /** The attempt's business time (a test clock's for its customers), so a simulated processor can behave by date. */
  attemptedAt: Date;
};

/** How recovery finds a charge whose answer was lost: by Rebill's attempt id, not only by the (expiring) idempotency key. */
export type ChargeLookup = { idempotencyKey: string; attemptId: string; gatewayCustomer: string | null; attemptedAt: Date };

/** What a gateway said about one refund. */
export type RefundOutcome =
  | { status: 'succeeded'; refundId: string }
  /** Accepted, not final yet (some methods take days): the refund stays open and recovery asks again later. */
  | { status: 'pending'; refundId: string }
  | { status: 'failed'; refundId: null; code: string; message: string };

/** How recovery finds a refund whose answer was lost: by Rebill's refund id stored with it. */
export type RefundLookup = { idempotencyKey: string; refundId: string; chargeId: string };

export type RefundRequest = {
  idempotencyKey: string;
  chargeId: string;   // the gateway's id of the charge to give money back from
  amount: bigint;     // minor units, at most what is left of the charge
  currency: string;
  reference: string;  // our credit note id, for the gateway's records
  refundId: string;   // Rebill's refund id, stored with the refund for lookup
};

export type CardDetails = { brand: string; last4: string; exp_month: number; exp_year: number; country?: string | null };

/**
 * A payment processor. `charge` must be safe to call again with the same idempotency key: the
 * processor answers with the first outcome and never charges twice.
 */
export interface PaymentGateway {
  readonly name: string;
  /** Throws GatewayUnreachableError when no answer came back; the outcome is then unknown. */
  charge(req: ChargeRequest): Promise<ChargeOutcome>;
  /** What the processor knows about an attempt (found by its key or its attempt id), or null when it never saw it. */
  retrieve(lookup: ChargeLookup): Promise<ChargeOutcome | null>;
  /**
   * Gives up a charge still waiting for the customer (`requires_action`), so it can never complete
   * later, and answers its final state: failed once cancelled, succeeded if the customer completed
   * it first. Optional: with a processor that cannot cancel, such an attempt stays open until the
   * processor settles it. Throws GatewayUnreachableError like `charge`.
   */
  cancel?(charge: { chargeId: string; attemptId: string }): Promise<ChargeOutcome>;
  /** Gives money back from a charge; safe to call again with the same key (one refund per key). Throws GatewayUnreachableError like `charge`. */
  refund(req: RefundRequest): Promise<RefundOutcome>;
  /** What the processor knows about a refund's key, or null when it never saw it. */
  retrieveRefund(lookup: RefundLookup): Promise<RefundOutcome | null>;
  /** Card details for a reusable token, or null when the token is not valid. */
  inspectToken(token: string, ctx?: { gatewayCustomer: string | null }): Promise<CardDetails | null>;
  /**
   * Turns a test card number typed into Rebill's hosted card-update page into a token at once
   * (null: not a test card it knows). Only the sandbox has it: a real gateway tokenizes in its own
   * element, so a card number never reaches Rebill; the page needs this to work without one.
   */
  tokenizeTestCard?(cardNumber: string): Promise<string | null>;
  /**
   * Verifies one inbound webhook delivery and reads it as normalized events (none for event
   * types Rebill does not act on). Throws WebhookRefusedError when the signature does not hold or
   * is too old; a gateway type without webhooks leaves this out.
   */
  parseWebhook?(delivery: WebhookDelivery): GatewayEvent[];
}

/** One inbound delivery as it arrived: the exact body bytes (signatures cover them), headers in lower case, the path with its query. */
export type WebhookDelivery = { rawBody: Buffer; headers: Record<string, string | undefined>; path: string; now: Date };

/**
 * What a processor event says, in Rebill's terms. Charges and refunds are found by Rebill's own id
 * carried on them (metadata, receipt, reference) or by the processor's id; amounts are minor units.
 */
export type GatewaySubject =
  | { kind: 'charge'; attemptId: string | null; outcome: ChargeOutcome }
  | { kind: 'refund'; gatewayRefundId: string; chargeId: string; rebillRefundId: string | null; amount: bigint; currency: string;
      status: 'succeeded' | 'pending' | 'failed'; failure: string | null }
  | { kind: 'dispute'; gatewayDisputeId: string; chargeId: string; amount: bigint; currency: string; status: DisputeStatus;
      gatewayStatus: string; reason: string | null };

/** `id`: the processor's event id (the dedupe key); `type`: its own event type; `occurredAt`: its time of the event. */
export type GatewayEvent = { id: string; type: string; occurredAt: Date; subject: GatewaySubject };

/** A webhook that must not be believed: no or wrong signature (`invalid`), or signed too long ago (`stale`). */
export class WebhookRefusedError extends Error {
  constructor(readonly reason: 'invalid' | 'stale', message: string) { super(message); this.name = 'WebhookRefusedError'; }
}

/** How far a webhook's signed time may be from Rebill's clock: Stripe's default tolerance, used for every gateway. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** What an adapter is built from: a configured gateway with its credentials opened. */
export type GatewayConfig = { accountId: string; id: string; type: GatewayType; apiBase: string | null; credentials: Record<string, string> };
/** Builds the adapter of one gateway type (src/adapters/gateways/…). */
export type GatewayFactory = (config: GatewayConfig) => PaymentGateway;

/** No answer from the gateway: timeout or connection loss. The charge may or may not exist. */
export class GatewayUnreachableError extends Error {
  constructor(message: string) { super(message); this.name = 'GatewayUnreachableError'; }
}

/**
 * Chooses the tax rates of an invoice with automatic tax. The default is Rebill's rules table
 * (the account's registered rates matched by country and state); an external tax service can
 * take its place. It answers with ids of the account's rates, so every figure stays ours.
 */
export interface TaxCalculator {
  ratesFor(req: { accountId: string; address: Address | null; registered: readonly RegisteredRate[] }): Promise<{ status: AutomaticTaxStatus; rates: string[] }>;
}

/**
 * Runs one statement on its own (it is its own transaction) as a named prepared statement, so
 * PostgreSQL parses and plans a command's fixed-shape write once per connection.
 */
export type StatementRunner = (text: string, params: unknown[]) => Promise<void>;

export type Deps = {
  db: Kysely<DB>;
  /** Where usage events are kept; PostgreSQL (src/app/usage/store.ts) when not given. */
  usageStore?: UsageStore;
  runStatement?: StatementRunner;
  clock: Clock;
  /** The built-in sandbox (`sandbox` in payment methods and attempts). */
  gateway: PaymentGateway;
  /** Adapters of the gateway types accounts may configure; a type without one cannot be created. */
  gatewayFactories?: Partial<Record<GatewayType, GatewayFactory>>;
  /** Seals secrets at rest (gateway credentials, webhook secrets): AES-256-GCM under REBILL_SECRET_KEY. */
  secrets?: SecretSealer;
  log: Logger;
  /**
   * How long in-flight work may go without progress before another process takes it over: a
   * payment attempt still pending/unknown (recovery asks the gateway), a test clock's advance.
   */
  recoveryDelayMs: number;
  /** Names this process in the audit trail of the work it does (`system:billing:<workerId>`). */
  workerId?: string;
  /** Automatic tax; Rebill's rules table when not given. */
  taxCalculator?: TaxCalculator;
  /**
   * Sealing of webhook secrets and where deliveries may go; webhook endpoints need it. `leaseMs`:
   * how long a claim holds its deliveries (REBILL_WEBHOOK_LEASE_MS; deliver.ts's default when not given).
   */
  webhooks?: { secrets: SecretSealer; policy: UrlPolicy; sender?: WebhookSender; leaseMs?: number };
  /** How long events are kept (REBILL_EVENT_RETENTION_DAYS); never under 30 days. */
  eventRetentionDays?: number;
  /** The job kinds and polled duties the worker runs; Rebill's own when not given (jobs/registry.ts). */
  jobs?: JobCatalogue;
  /** Where people reach this Rebill (REBILL_PUBLIC_URL); an http:// one means session cookies are not marked Secure. */
  publicUrl?: string;
  /** Customer emails and texts; without it (or without the channel's adapter), messages are `failed` until an operator resends them. */
  notifications?: NotificationDeps;
};

/** One email. `messageId` is stable per (event, channel), so a resend is recognizable as the same message. */
export type MailMessage = {
  messageId: string; from: string; to: string; subject: string; text: string; html: string;
  headers: Record<string, string>; attachments: { filename: string; contentType: string; content: Buffer }[];
};
/** One text message; `idempotencyKey` is stable per (event, channel). */
export type SmsMessage = { to: string; body: string; idempotencyKey: string };

/**
 * Why a message did not go: `refused` for good (a 5xx, a bad address: sending again cannot help);
 * `unavailable`: nothing was handed over (no connection, a 4xx "try later"), safe to try again;
 * `unknown`: the answer was lost after the message was handed over: it may have gone.
 */
export class SendError extends Error {
  constructor(readonly kind: 'refused' | 'unavailable' | 'unknown', message: string) { super(message); this.name = 'SendError'; }
}

/** Sends email (src/adapters/mailer/smtp.ts). Resolves when the server accepted it; throws SendError otherwise. */
export interface Mailer { send(message: MailMessage): Promise<{ accepted: true; response: string }>; }
/** Sends text messages (src/adapters/sms/twilio.ts). Resolves with the provider's id; throws SendError otherwise. */
export interface SmsSender { send(message: SmsMessage): Promise<{ accepted: true; providerId: string }>; }

export type NotificationDeps = {
  mailer?: Mailer; sms?: SmsSender;
  /** From address of emails (REBILL_MAIL_FROM). */
  from: string;
  /** Where customers reach Rebill (REBILL_PUBLIC_URL): unsubscribe links point there. */
  publicUrl: string;
  /** Signs unsubscribe tokens (HMAC-SHA256). */
  signingKey: Buffer;
};

/** One signed POST of a webhook delivery. */
/** `signal`: the batch's deadline (`WebhookSender.deadline`), shared by the requests sent together. */
export type WebhookRequest = { url: string; headers: Record<string, string>; body: string; signal?: AbortSignal };
/** What came back: the status (null when none: refused, timed out, address not allowed), how long it took, and why it failed. */
export type WebhookResponse = { status: number | null; durationMs: number; error: string | null };

/** Sends webhook deliveries over HTTP (src/adapters/webhook-sender.ts): never throws, answers what happened. */
export interface WebhookSender {
  send(req: WebhookRequest): Promise<WebhookResponse>;
  /** A signal that aborts after the request timeout from now: one for a batch sent side by side, not a timer per request. */
  deadline(): AbortSignal;
  close(): Promise<void>;
}

/** Seals a secret for storage and opens it again (AES-256-GCM in src/adapters/secret-box.ts). */
export interface SecretSealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

/** Who is acting, for the audit log and for scoping every query. */
export type Actor = { accountId: string; actor: string; requestId: string | null };

/** Rebill's own billing, as the audit trail names it; with a worker id, which process did the work. */
export const systemActor = (accountId: string, workerId?: string): Actor =>
  ({ accountId, actor: workerId ? `system:billing:${workerId}` : 'system:billing', requestId: null });
