-- Tables of the reference services in examples/ (the outbox table itself comes from
-- `outbox-relay migrate`). Idempotent: safe to apply more than once.
CREATE TABLE IF NOT EXISTS orders (
    id UUID PRIMARY KEY,
    customer TEXT NOT NULL,
    amount NUMERIC NOT NULL CHECK (amount > 0),
    status TEXT NOT NULL CHECK (status IN ('created', 'cancelled')),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- One row per payment event: an approval for OrderCreated, a refund for OrderCancelled.
CREATE TABLE IF NOT EXISTS payments (
    id UUID PRIMARY KEY,
    order_id UUID NOT NULL,
    customer TEXT NOT NULL,
    amount NUMERIC NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('approved', 'refunded')),
    source_event_id UUID NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS notifications (
    id BIGSERIAL PRIMARY KEY,
    order_id UUID NOT NULL,
    customer TEXT NOT NULL,
    message TEXT NOT NULL,
    source_event_id UUID NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- The idempotent consumers' memory: an event id is inserted in the same transaction as the
-- work it causes, so a redelivered event finds its id and is skipped.
CREATE TABLE IF NOT EXISTS processed_events (
    consumer TEXT NOT NULL,
    event_id UUID NOT NULL,
    processed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (consumer, event_id)
);
