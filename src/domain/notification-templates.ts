import Mustache from 'mustache';

/**
 * The messages Rebill sends customers, their built-in wording and the variables each may use.
 * Templates are Mustache (logic-less): `{{name}}` is HTML-escaped in the HTML body and left as
 * is in the subject, the text body and the SMS. docs/notifications.md documents every variable.
 */
export const NOTIFICATION_KINDS = [
  'upcoming_renewal', 'trial_ending', 'payment_failed', 'payment_action_required', 'payment_recovered', 'receipt',
  'card_expiring', 'subscription_canceled',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export const isNotificationKind = (k: string): k is NotificationKind => (NOTIFICATION_KINDS as readonly string[]).includes(k);

export const TEMPLATE_FIELDS = ['subject', 'text', 'html', 'sms'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];
export type Template = Record<TemplateField, string>;

const COMMON = ['customer_name', 'customer_email', 'merchant_name', 'unsubscribe_url', 'update_payment_method_url'] as const;
const INVOICE = ['invoice_id', 'invoice_number', 'amount_due', 'amount_paid', 'total', 'currency', 'period_start', 'period_end'] as const;

/** The variables of each kind, with the sample value the preview renders. */
export const VARIABLES: Record<NotificationKind, readonly string[]> = {
  upcoming_renewal: [...COMMON, 'subscription_id', 'renewal_date', 'amount', 'currency'],
  trial_ending: [...COMMON, 'subscription_id', 'trial_end', 'amount', 'currency'],
  payment_failed: [...COMMON, ...INVOICE, 'failure_reason'],
  payment_action_required: [...COMMON, ...INVOICE, 'action_url'],
  payment_recovered: [...COMMON, ...INVOICE],
  receipt: [...COMMON, ...INVOICE],
  card_expiring: [...COMMON, 'card_brand', 'card_last4', 'card_exp_month', 'card_exp_year'],
  subscription_canceled: [...COMMON, 'subscription_id', 'canceled_at', 'ended_at'],
};

export const SAMPLE: Readonly<Record<string, string>> = {
  customer_name: 'Ada Lovelace', customer_email: 'ada@example.com', merchant_name: 'Coffee Club',
  unsubscribe_url: 'https://rebill.example/v1/unsubscribe/sample', update_payment_method_url: 'https://rebill.example/pay/update/sample',
  invoice_id: 'in_sample', invoice_number: 'ADA-0001', amount_due: '$20.00', amount_paid: '$20.00', total: '$20.00', currency: 'USD',
  period_start: '2027-01-01', period_end: '2027-02-01', failure_reason: 'Your card has insufficient funds.',
  action_url: 'https://bank.example/3ds/sample', subscription_id: 'sub_sample', renewal_date: '2027-02-01', amount: '$20.00',
  trial_end: '2027-01-15', card_brand: 'visa', card_last4: '4242', card_exp_month: '02', card_exp_year: '2027',
  canceled_at: '2027-01-20', ended_at: '2027-01-20',
};

const T = (subject: string, body: string, sms: string): Template => ({
  subject, text: `Hello {{customer_name}},\n\n${body}\n\n{{merchant_name}}\nUnsubscribe: {{unsubscribe_url}}\n`,
  html: `<p>Hello {{customer_name}},</p><p>${body.replace(/\n\n/g, '</p><p>')}</p><p>{{merchant_name}}</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>`,
  sms,
});

export const DEFAULT_TEMPLATES: Record<NotificationKind, Template> = {
  upcoming_renewal: T('Your subscription renews on {{renewal_date}}', 'Your subscription renews on {{renewal_date}} for {{amount}}.', '{{merchant_name}}: your subscription renews on {{renewal_date}} for {{amount}}.'),
  trial_ending: T('Your trial ends on {{trial_end}}', 'Your trial ends on {{trial_end}}; then your subscription costs {{amount}}.', '{{merchant_name}}: your trial ends on {{trial_end}}.'),
  payment_failed: T('Payment of {{amount_due}} failed', 'We could not collect {{amount_due}} for invoice {{invoice_number}}: {{failure_reason}}\n\nPlease update your payment method. {{update_payment_method_url}}', '{{merchant_name}}: payment of {{amount_due}} failed. Please update your card. {{update_payment_method_url}}'),
  payment_action_required: T('Confirm your payment of {{amount_due}}', 'Your bank asks you to confirm the payment of {{amount_due}} for invoice {{invoice_number}}: {{action_url}}\n\nOr pay with another card: {{update_payment_method_url}}', '{{merchant_name}}: confirm your payment of {{amount_due}}: {{action_url}}'),
  payment_recovered: T('Payment of {{amount_paid}} received', 'Thank you: we received {{amount_paid}} for invoice {{invoice_number}}, and your subscription continues.', '{{merchant_name}}: payment of {{amount_paid}} received, thank you.'),
  receipt: T('Receipt for invoice {{invoice_number}}', 'We received {{amount_paid}} for invoice {{invoice_number}}. The invoice is attached.', '{{merchant_name}}: we received {{amount_paid}}, thank you.'),
  card_expiring: T('Your card ending {{card_last4}} expires soon', 'Your {{card_brand}} card ending {{card_last4}} expires at the end of {{card_exp_month}}/{{card_exp_year}}. Please update it. {{update_payment_method_url}}', '{{merchant_name}}: your card ending {{card_last4}} expires soon.'),
  subscription_canceled: T('Your subscription was canceled', 'Your subscription {{subscription_id}} was canceled on {{canceled_at}}.', '{{merchant_name}}: your subscription was canceled.'),
};

/** What is wrong with one field of a template, or null: a syntax error, a partial, or a variable the kind does not have. */
export function templateProblem(kind: NotificationKind, field: TemplateField, source: string): string | null {
  let tokens: unknown[];
  try {
    tokens = Mustache.parse(source) as unknown[];
  } catch (err) {
    return `${field} is not a valid template: ${(err as Error).message}`;
  }
  const allowed = VARIABLES[kind];
  const walk = (list: unknown[]): string | null => {
    for (const t of list as [string, string, number, number, unknown[]?][]) {
      const [type, value] = t;
      if (type === '>') return `${field} uses a partial ({{> ${value}}}); templates cannot include others`;
      if ((type === 'name' || type === '&' || type === '#' || type === '^') && !allowed.includes(value)) {
        return `${field} uses the unknown variable '${value}'; ${kind} has: ${allowed.join(', ')}`;
      }
      const inner = t[4];
      if (Array.isArray(inner)) { const p = walk(inner); if (p) return p; }
    }
    return null;
  };
  return walk(tokens);
}

const plain = (s: string) => s;

/** One template rendered: the HTML body escapes its values; the others take them as they are. */
export function render(t: Template, vars: Readonly<Record<string, string>>): Template {
  return {
    subject: Mustache.render(t.subject, vars, {}, { escape: plain }).replace(/[\r\n]+/g, ' ').trim(),
    text: Mustache.render(t.text, vars, {}, { escape: plain }),
    html: Mustache.render(t.html, vars),
    sms: Mustache.render(t.sms, vars, {}, { escape: plain }),
  };
}
