-- Building ids are opaque strings as their source gives them (19+ digit
-- standard address codes, alphanumeric codes such as B0000001): text, in
-- byte order ("C" collation, as the GeoPackage store compares), with an
-- index on the order features are listed in (store.IDOrder: ids of digits
-- only numerically, before all others, which go bytewise).
ALTER TABLE buildings ALTER COLUMN id TYPE text COLLATE "C" USING id::text;
CREATE INDEX buildings_id_order ON buildings (
  (id !~ '^[0-9]+$'),
  (CASE WHEN id ~ '^[0-9]+$' THEN length(id) ELSE 0 END),
  id
);
