-- Revenue analytics (issue 19): what each subscription was, from when. A row per subscription
-- event (created, updated, paused, resumed, deleted), written with the event by the same unit
-- of work, so no change of a subscription can reach the API without reaching its history.
-- Outbound events are pruned after their retention; this history is not. MRR at any instant is
-- priced from the revision in force then (prices and coupons are immutable in their amounts).
CREATE TABLE subscription_revisions (
  account_id       text NOT NULL,
  id               text NOT NULL,
  subscription_id  text NOT NULL,
  customer_id      text NOT NULL,
  -- business time of the change: the customer's test clock, else real time
  at               timestamptz NOT NULL,
  status           text NOT NULL,
  currency         text NOT NULL,
  -- [{"price": "price_…", "quantity": 3}, …]
  items            jsonb NOT NULL,
  discount_ids     text[] NOT NULL,
  PRIMARY KEY (account_id, id)
);
CREATE INDEX subscription_revisions_subscription_idx ON subscription_revisions (account_id, subscription_id, at);

-- The history the outbox still holds, for books that predate this table.
INSERT INTO subscription_revisions (account_id, id, subscription_id, customer_id, at, status, currency, items, discount_ids)
SELECT e.account_id, 'srev_' || substr(e.id, strpos(e.id, '_') + 1), e.object_id, o->>'customer', e.created_at, o->>'status', o->>'currency',
  coalesce((SELECT jsonb_agg(jsonb_build_object('price', coalesce(i->'price'->>'id', i->>'price'), 'quantity', (i->>'quantity')::int))
    FROM jsonb_array_elements(o->'items'->'data') i), '[]'),
  coalesce(ARRAY(SELECT jsonb_array_elements_text(o->'discounts')), '{}')
FROM events e CROSS JOIN LATERAL (SELECT e.data->'object' AS o) x
WHERE e.type IN ('subscription.created', 'subscription.updated', 'subscription.deleted', 'subscription.paused', 'subscription.resumed')
  AND o->>'object' = 'subscription';
