// Package geo is gridd's pure geometry: coordinate-system conversions
// (WGS84, CGCS2000, GCJ-02, BD-09), distances and areas on the sphere,
// shape measures, polygon validation, exact point location and the
// nearest-unit index. It does no I/O and no logging.
//
// Coordinates are WGS84 lon/lat degrees unless a name says otherwise.
package geo
