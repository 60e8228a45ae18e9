package store

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

// EncodedPlan is a checked plan in the form both backends write: the
// params as JSON, the report as JSON text (nil when there is none) and
// each grid's geometry in the backend's encoding.
type EncodedPlan struct {
	Params []byte
	Report any
	Blobs  [][]byte
}

// EncodePlan checks p (gridplan.Plan.Check) and encodes it with the backend's
// geometry encoder, before any transaction is opened.
func EncodePlan(p *gridplan.Plan, encode func(orb.Geometry) ([]byte, error)) (EncodedPlan, error) {
	if err := p.Check(); err != nil {
		return EncodedPlan{}, err
	}
	params, err := json.Marshal(p.Params)
	if err != nil {
		return EncodedPlan{}, errs.E(errs.Invalid, "params", "cannot encode: %v", err)
	}
	e := EncodedPlan{Params: params, Blobs: make([][]byte, len(p.Grids))}
	for i, g := range p.Grids {
		if e.Blobs[i], err = encode(g.Geom); err != nil {
			return EncodedPlan{}, err
		}
	}
	if len(p.Report) > 0 {
		e.Report = string(p.Report)
	}
	return e, nil
}

// GeomEncoder encodes geometries inline while rows are built, keeping the
// first error for Err, so that row builders need no error plumbing.
type GeomEncoder struct {
	encode func(orb.Geometry) ([]byte, error)
	err    error
}

// NewGeomEncoder wraps the backend's geometry encoder.
func NewGeomEncoder(encode func(orb.Geometry) ([]byte, error)) *GeomEncoder {
	return &GeomEncoder{encode: encode}
}

// Encode returns g encoded (whatever the encoder gave when it failed).
func (e *GeomEncoder) Encode(g orb.Geometry) []byte {
	blob, err := e.encode(g)
	if err != nil && e.err == nil {
		e.err = err
	}
	return blob
}

// Err is the first encoding error, if any.
func (e *GeomEncoder) Err() error { return e.err }

// Migration is one embedded schema migration, migrations/NNN_name.sql.
type Migration struct {
	Version int
	Name    string // the file's base name without .sql, e.g. "001_district"
	File    string // its path in the file system
	SQL     string
}

// Migrations reads fsys's migrations/*.sql in file-name order (the order
// they are applied in); a file not named NNN_name.sql is an error.
func Migrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		num, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNN_name.sql", name)
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: version, Name: base, File: name, SQL: string(src)})
	}
	return out, nil
}
