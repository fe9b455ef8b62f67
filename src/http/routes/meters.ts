import { Type } from '@sinclair/typebox';
import { ingestEvent, ingestEvents } from '../../app/usage/ingest.ts';
import { createMeter, getMeter, listMeters, updateMeter } from '../../app/usage/meters.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { FORMULAS } from '../../domain/usage/aggregate.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import { meterEventSummaries } from '../../app/usage/summaries.ts';
import { createMeterEventAdjustment } from '../../app/usage/adjustments.ts';
import type { App } from './types.ts';

const PayloadKey = Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9_.:-]+$', description: 'A payload key: letters, digits, _ . : - (at most 40)' });
const EventName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$', description: 'Letters, digits, _ . : - (at most 100)' });
const DisplayName = Type.String({ minLength: 1, maxLength: 250 });
const Status = Type.Union([Type.Literal('active'), Type.Literal('inactive')]);

const EVENT_FIELDS = {
  event_name: 'The meter\'s event_name',
  identifier: 'Your unique id of the event, 1–100 characters: an event sent again with it is acknowledged as a duplicate and counted once',
  timestamp: 'When the usage happened: unix seconds or RFC 3339; at most 35 days ago and 5 minutes ahead (customer\'s business time); now when omitted',
  payload: 'Text values: the customer id under the meter\'s customer_mapping key, the value (number or numeric string) under its value_settings key, its dimensions',
};
const PayloadValue = Type.Union([Type.String({ maxLength: 200 }), Type.Number()]);
const Payload = Type.Record(Type.String({ maxLength: 40 }), PayloadValue, { maxProperties: 20, propertyNames: { minLength: 1, maxLength: 40 }, description: EVENT_FIELDS.payload });
const EventTime = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ maxLength: 40 })], { description: EVENT_FIELDS.timestamp });

/** Usage meters and event ingestion (issue 18, points 1 and 2). */
export function meterRoutes(app: App, deps: Deps) {
  const tags = ['usage'];
  app.post('/v1/billing/meters', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: 'Create a meter: which events count and how their values add up', response: replies(ref('Meter')),
      body: Type.Object({
        event_name: EventName, display_name: DisplayName,
        default_aggregation: Type.Object({ formula: Type.Union(FORMULAS.map((f) => Type.Literal(f))) }, { additionalProperties: false }),
        value_settings: Type.Optional(Type.Object({ event_payload_key: PayloadKey }, { additionalProperties: false, description: 'Where the value is (default `value`)' })),
        customer_mapping: Type.Optional(Type.Object({ type: Type.Optional(Type.Literal('by_id')), event_payload_key: PayloadKey }, { additionalProperties: false, description: 'Where the customer id is (default `customer`)' })),
        dimensions: Type.Optional(Type.Array(PayloadKey, { maxItems: 5, description: 'Payload keys kept with each event to group by later (at most 5)' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createMeter(deps, actorOf(req), req.body));

  app.get('/v1/billing/meters', {
    schema: { tags, summary: 'List meters, newest first', response: replies(R.ListOf(ref('Meter'))), querystring: ListQuery({ status: Type.Optional(Status) }) },
  }, async (req) => await listMeters(deps, actorOf(req).accountId, { ...pageOf(req.query), status: req.query.status }));

  app.get('/v1/billing/meters/:id', { schema: { tags, summary: 'Retrieve a meter', response: replies(ref('Meter')), params: IdParams } },
    async (req) => await getMeter(deps, actorOf(req).accountId, req.params.id));

  app.get('/v1/billing/meters/:id/event_summaries', {
    schema: {
      tags, summary: "A customer's usage of a meter over a range, whole or per UTC hour or day", params: IdParams,
      response: replies(R.ListOf(ref('MeterEventSummary'))),
      querystring: Type.Object({
        customer: Type.String({ maxLength: 64 }),
        start_time: Type.String({ maxLength: 40, description: 'RFC 3339 time or unix seconds; inclusive' }),
        end_time: Type.String({ maxLength: 40, description: 'RFC 3339 time or unix seconds; exclusive' }),
        value_grouping_window: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')])),
      }, { additionalProperties: false }),
    },
  }, async (req) => ({ object: 'list' as const, data: await meterEventSummaries(deps, actorOf(req).accountId, req.params.id, req.query), has_more: false }));

  app.post('/v1/billing/meters/:id', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: 'Rename, deactivate or reactivate a meter; what it measures does not change', response: replies(ref('Meter')), params: IdParams,
      body: Type.Object({ display_name: Type.Optional(DisplayName), status: Type.Optional(Status) }, { additionalProperties: false }),
    },
  }, async (req) => await updateMeter(deps, actorOf(req), req.params.id, req.body));

  app.post('/v1/billing/meter_event_adjustments', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Cancel a usage event: it no longer counts; a period already billed is corrected by its next bill (late_usage_policy)',
      response: replies(ref('MeterEventAdjustment')),
      body: Type.Object({
        event_name: { ...EventName, description: EVENT_FIELDS.event_name }, type: Type.Optional(Type.Literal('cancel')),
        cancel: Type.Object({ identifier: Type.String({ minLength: 1, maxLength: 100, description: 'The identifier the event was sent with' }) }, { additionalProperties: false }),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createMeterEventAdjustment(deps, actorOf(req), req.body));

  app.post('/v1/billing/meter_events', {
    config: { permission: 'write', ownIdempotency: true },
    schema: {
      tags, summary: 'Report one usage event; sent again with its identifier it is acknowledged (status duplicate) and counted once',
      response: replies(ref('MeterEvent')),
      body: Type.Object({
        event_name: { ...EventName, description: EVENT_FIELDS.event_name }, identifier: Type.String({ minLength: 1, maxLength: 100, description: EVENT_FIELDS.identifier }),
        timestamp: Type.Optional(EventTime), payload: Payload,
      }, { additionalProperties: false }),
    },
  }, async (req) => await ingestEvent(deps, actorOf(req).accountId, req.body));

  // Each event is checked by the service, not by the schema: one malformed event is rejected on
  // its own, with its index, and the rest of the batch is stored.
  const LooseEvent = Type.Object({
    event_name: Type.Optional(Type.Unknown({ description: EVENT_FIELDS.event_name })), identifier: Type.Optional(Type.Unknown({ description: EVENT_FIELDS.identifier })),
    timestamp: Type.Optional(Type.Unknown({ description: EVENT_FIELDS.timestamp })), payload: Type.Optional(Type.Unknown({ description: EVENT_FIELDS.payload })),
  }, { additionalProperties: false });
  app.post('/v1/billing/meter_event_batches', {
    config: { permission: 'write', ownIdempotency: true },
    bodyLimit: 16 * 1_048_576,
    schema: {
      tags, summary: 'Report 1–10,000 usage events; each is accepted, duplicate or rejected on its own (not all-or-nothing)',
      response: replies(ref('MeterEventBatch')),
      body: Type.Object({ events: Type.Array(LooseEvent, { minItems: 1, maxItems: 10_000 }) }, { additionalProperties: false }),
    },
  }, async (req) => await ingestEvents(deps, actorOf(req).accountId, req.body.events));
}
