-- Gateway health (issue 16, point 6): when each attempt's charge was last sent, how long the
-- gateway took and what kind of answer came back. Real time (the process clock), never a test
-- clock's business time: health is about the processor now, not about a simulated month.
-- `gateway_result`: succeeded; declined (the gateway answered with the card's or the merchant's
-- refusal); gateway_error (5xx, timeout, lost connection, or a processing_error decline: the
-- processor's own failure); pending (processing or requires_action, not final yet).
ALTER TABLE payment_attempts
  ADD COLUMN gateway_called_at timestamptz,
  ADD COLUMN gateway_ms integer CHECK (gateway_ms >= 0),
  ADD COLUMN gateway_result text CHECK (gateway_result IN ('succeeded', 'declined', 'gateway_error', 'pending'));
-- What the health endpoint and each billing batch read: one gateway's recent calls, in time order.
CREATE INDEX payment_attempts_gateway_calls_idx ON payment_attempts (account_id, gateway, gateway_called_at)
  WHERE gateway_called_at IS NOT NULL;
