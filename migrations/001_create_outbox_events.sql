-- The default outbox table (the relay's default source.columns fit it) and the publication the
-- relay streams from. {{table}}, {{table_name}} and {{publication}} are replaced by `outbox-relay
-- migrate` with source.table and source.publication, quoted.
--
-- published and published_at are there for services that read or set them (a polling relay marks
-- rows published); the relay never reads or updates them.
CREATE TABLE IF NOT EXISTS {{table}} (
    id UUID PRIMARY KEY,
    aggregate_type VARCHAR(255) NOT NULL,
    aggregate_id VARCHAR(255) NOT NULL,
    event_type VARCHAR(255) NOT NULL,
    payload JSONB NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    published BOOLEAN DEFAULT FALSE,
    published_at TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_outbox_unpublished ON {{table}} (published, created_at);

-- Inserts only: updates, deletes and truncates of the outbox are not events, and leaving them out
-- of the publication spares the walsender decoding work.
DO $migration$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = {{publication_literal}}) THEN
    CREATE PUBLICATION {{publication}} FOR TABLE {{table}} WITH (publish = 'insert');
  END IF;
END
$migration$;
