-- Building ids are opaque strings as their source gives them (19+ digit
-- standard address codes, alphanumeric codes such as B0000001). SQLite
-- cannot change a column's type, and an INTEGER column would turn '007'
-- into 7, so the table is rebuilt with a TEXT id, keeping every fid (the
-- R-tree's key) and the GeoPackage registration.
DELETE FROM gpkg_extensions WHERE table_name = 'buildings';
DELETE FROM gpkg_geometry_columns WHERE table_name = 'buildings';
DELETE FROM gpkg_contents WHERE table_name = 'buildings';
DROP TABLE rtree_buildings_geom;
CREATE TABLE buildings_text_id (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  households INTEGER NOT NULL,
  address TEXT NOT NULL,
  geom POINT NOT NULL
);
INSERT INTO buildings_text_id (fid, id, households, address, geom)
  SELECT fid, CAST(id AS TEXT), households, address, geom FROM buildings;
DROP TABLE buildings;
ALTER TABLE buildings_text_id RENAME TO buildings;
{{feature "buildings" "POINT" "buildings with households and standard address"}}
INSERT INTO rtree_buildings_geom
  SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM buildings;
-- the order features are listed in (store.IDOrder)
CREATE INDEX buildings_id_order ON buildings (
  (id = '' OR id GLOB '*[^0-9]*'),
  (CASE WHEN id = '' OR id GLOB '*[^0-9]*' THEN 0 ELSE length(id) END),
  id
);
