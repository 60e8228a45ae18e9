package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
)

// defaultDataDir is where the embedded store lives unless --data says.
const defaultDataDir = "./data"

// gpkgFile is the embedded store's file name inside the data folder.
const gpkgFile = "gridd.gpkg"

// openStore opens the store the service uses: PostGIS when DATABASE_URL is
// set, else the GeoPackage file in dataDir (created if missing). It returns
// a description of the store for progress output.
func openStore(ctx context.Context, e *env, dataDir string) (store.Store, string, error) {
	if dsn := e.getenv("DATABASE_URL"); dsn != "" {
		db, err := postgis.Open(ctx, dsn)
		if err != nil {
			return nil, "", err
		}
		return db, "PostGIS (DATABASE_URL)", nil
	}
	if dataDir == "" {
		dataDir = defaultDataDir
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, "", err
	}
	path := filepath.Join(dataDir, gpkgFile)
	db, err := gpkg.Open(ctx, path)
	if err != nil {
		return nil, "", err
	}
	return db, "GeoPackage " + path, nil
}
