import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import * as R from '../app/resources.ts';

/**
 * The API objects published by name in the OpenAPI document (`components.schemas`), so the
 * generated client has a type per object and the document states each shape once.
 */
export const COMPONENTS = {
  Customer: R.Customer, CustomerBalanceTransaction: R.CustomerBalanceTransaction, Product: R.Product, Price: R.Price, PaymentMethod: R.PaymentMethod,
  Subscription: R.Subscription, SubscriptionSchedule: R.SubscriptionSchedule, Invoice: R.Invoice, InvoiceItem: R.InvoiceItem, TaxRate: R.TaxRate, WebhookEndpoint: R.WebhookEndpoint, Gateway: R.Gateway, GatewayHealth: R.GatewayHealth, RoutingRule: R.RoutingRule, WebhookDelivery: R.WebhookDelivery, Coupon: R.Coupon, PromotionCode: R.PromotionCode, Payment: R.Payment, CreditNote: R.CreditNote, Refund: R.Refund, Dispute: R.Dispute, DunningPolicy: R.DunningPolicy, DunningCase: R.DunningCase, RecoveryReport: R.RecoveryReport, MrrReport: R.MrrReport, SubscribersReport: R.SubscribersReport, CohortReport: R.CohortReport, LtvReport: R.LtvReport, TestClock: R.TestClock, BillingFailure: R.BillingFailure, Job: R.Job, Event: R.Event, Notification: R.Notification, NotificationTemplate: R.NotificationTemplate, PaymentLink: R.PaymentLink, BillingPortalConfiguration: R.BillingPortalConfiguration, BillingPortalSession: R.BillingPortalSession, Feature: R.Feature, ProductFeature: R.ProductFeature, Entitlement: R.Entitlement, EntitlementOverride: R.EntitlementOverride,
  Meter: R.Meter, MeterEventSummary: R.MeterEventSummary, MeterEvent: R.MeterEvent, MeterEventBatch: R.MeterEventBatch, MeterEventAdjustment: R.MeterEventAdjustment,
  CreditGrant: R.CreditGrant, CreditBalanceSummary: R.CreditBalanceSummary,
  BillingAlert: R.BillingAlert, ExchangeRate: R.ExchangeRate,
  User: R.User, Session: R.Session,
  AuditEntry: R.AuditEntry, Account: R.Account, Error: R.ErrorBody,
} as const;
export type ComponentName = keyof typeof COMPONENTS;

/** A reference to a named object; typed as the object, so handlers are checked against it. */
export const ref = <K extends ComponentName>(name: K) =>
  Type.Ref(name) as unknown as TUnsafe<Static<(typeof COMPONENTS)[K]>>;

/** The named objects with their ids, for the server's schema store and for checkers. */
export const componentSchemas = (transform: (s: TSchema) => TSchema = (s) => s): TSchema[] =>
  Object.entries(COMPONENTS).map(([id, schema]) => ({ ...transform(schema), $id: id }));
