-- Cases and incidents become GeoPackage feature tables (issue 12: OGC API
-- collections and GIS tools read them): a point geometry kept in step with
-- the lon/lat columns by triggers (gridd_point is registered by gridd), and
-- the standard R-tree index keyed on their integer id.
ALTER TABLE cases ADD COLUMN geom POINT;
ALTER TABLE incidents ADD COLUMN geom POINT;
UPDATE cases SET geom = gridd_point(lon, lat);
UPDATE incidents SET geom = gridd_point(lon, lat) WHERE lon IS NOT NULL;
DELETE FROM gpkg_contents WHERE table_name IN ('cases', 'incidents');
{{featurePK "cases" "POINT" "joint-duty cases" "id"}}
{{featurePK "incidents" "POINT" "reports from every channel" "id"}}
INSERT INTO rtree_cases_geom SELECT id, lon, lon, lat, lat FROM cases;
INSERT INTO rtree_incidents_geom SELECT id, lon, lon, lat, lat FROM incidents WHERE lon IS NOT NULL;

CREATE TRIGGER cases_geom_insert AFTER INSERT ON cases
BEGIN
  UPDATE cases SET geom = gridd_point(NEW.lon, NEW.lat) WHERE id = NEW.id;
END;
CREATE TRIGGER incidents_geom_insert AFTER INSERT ON incidents
  WHEN NEW.lon IS NOT NULL
BEGIN
  UPDATE incidents SET geom = gridd_point(NEW.lon, NEW.lat) WHERE id = NEW.id;
END;
CREATE TRIGGER incidents_geom_located AFTER UPDATE OF lon, lat ON incidents
BEGIN
  UPDATE incidents SET geom = gridd_point(NEW.lon, NEW.lat) WHERE id = NEW.id;
END;
