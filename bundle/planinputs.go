package bundle

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing/fstest"
)

// PlanFiles are the files a plan needs: the district, its streets and
// communities, and the buildings with their households.
var PlanFiles = []string{DistrictFile, StreetsFile, CommunitiesFile, BuildingsFile}

// ReadForPlan loads a bundle folder for planning: the PlanFiles must be
// there, the others (facilities, patrols, workers, departments) are read
// when present and are empty otherwise. Problems are reported as by Read.
func ReadForPlan(dir string) (*Bundle, error) {
	if dir == "" {
		dir = "."
	}
	return ReadFS(withEmptyOptional(os.DirFS(dir)), ".")
}

// withEmptyOptional serves fsys, with an empty file (a header or an empty
// FeatureCollection) in place of each optional bundle file that is absent,
// so that the one reader (ReadFS) parses both cases.
func withEmptyOptional(fsys fs.FS) fs.FS {
	empty := fstest.MapFS{
		FacilitiesFile:  {Data: []byte(`{"type":"FeatureCollection","features":[]}`)},
		PatrolsFile:     {Data: []byte(strings.Join(patrolsHeader, ",") + "\n")},
		WorkersFile:     {Data: []byte(strings.Join(workersHeader, ",") + "\n")},
		DepartmentsFile: {Data: []byte(strings.Join(departmentsHeader, ",") + "\n")},
	}
	return optionalFS{fsys, empty}
}

type optionalFS struct {
	fs.FS
	empty fstest.MapFS
}

func (o optionalFS) Open(name string) (fs.File, error) {
	f, err := o.FS.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		if _, ok := o.empty[path.Clean(name)]; ok {
			return o.empty.Open(path.Clean(name))
		}
	}
	return f, err
}
