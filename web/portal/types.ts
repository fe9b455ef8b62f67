// The shapes /v1/portal answers (src/app/billing-portal/portal-resources.ts), as the page uses them.
export type Price = { id: string; nickname: string | null; product: string; product_name: string; currency: string; unit_amount: number | null; interval: string | null; interval_count: number | null };
export type Coupon = { id: string; name: string | null; percent_off: string | null; amount_off: number | null; currency: string | null; duration: string; duration_in_months: number | null };
export type Info = {
  merchant: string; customer: { id: string; name: string | null; email: string | null }; return_url: string | null; expires_at: string;
  features: {
    invoice_history: { enabled: boolean }; payment_method_update: { enabled: boolean }; subscription_pause: { enabled: boolean };
    subscription_cancel: { enabled: boolean; mode: 'at_period_end' | 'immediately'; cancellation_reason: { enabled: boolean; options: string[] }; retention: { coupon: string } | null };
    subscription_update: { enabled: boolean; proration_behavior: string };
  };
  retention_coupon: Coupon | null; plans: Price[];
  payment_method: { id: string; brand: string | null; last4: string | null; exp_month: number | null; exp_year: number | null } | null; test_mode: boolean;
};
export type Subscription = {
  id: string; status: string; currency: string; current_period_start: string | null; current_period_end: string | null; trial_end: string | null;
  cancel_at_period_end: boolean; canceled_at: string | null; ended_at: string | null; paused: boolean;
  cancellation_details: { reason: string; feedback: string | null; comment: string | null } | null;
  discounts: Coupon[]; items: { id: string; quantity: number; price: Price }[];
};
export type Invoice = { id: string; number: string | null; status: string; currency: string; total: number; amount_due: number; amount_paid: number; amount_remaining: number; created: string };
export type Preview = { currency: string; subtotal: number; total: number; amount_due: number; proration_behavior: string; lines: { description: string | null; amount: number }[] };
export type List<T> = { data: T[] };
