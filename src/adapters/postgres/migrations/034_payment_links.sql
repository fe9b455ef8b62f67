-- Card-update links (issue 17, point 4): a signed, single-use, expiring URL to a page served by
-- Rebill where a customer adds a new card and pays what is open. The URL's token is the link id
-- signed with a key derived from REBILL_SECRET_KEY; it is not stored (nothing here opens a page).
-- A link made for a message (payment_failed, card_expiring, payment_action_required) is written
-- with the message, so a resend carries the same link.
CREATE TABLE payment_links (
  account_id   text NOT NULL REFERENCES accounts (id),
  id           text NOT NULL,
  customer_id  text NOT NULL,
  purpose      text NOT NULL CHECK (purpose IN ('update_payment_method')),
  -- where the customer may go back to after the page; null: the page says it is done
  return_url   text,
  -- the message it was made for (`payment_failed:pay_…`); null when made over the API
  made_for     text,
  -- in the customer's business time (their test clock's, if any)
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id)
);
CREATE INDEX payment_links_customer ON payment_links (account_id, customer_id, created_at);
