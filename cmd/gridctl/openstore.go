package main

import (
	"context"

	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/backend"
)

// defaultDataDir is where the embedded store lives unless --data says.
const defaultDataDir = "./data"

// gpkgFile is the embedded store's file name inside the data folder.
const gpkgFile = backend.GPKGFile

// openStore opens the store the service uses (backend.Open: PostGIS when
// DATABASE_URL is set, else dataDir/gridd.gpkg). It returns a description
// of the store for progress output.
func openStore(ctx context.Context, e *env, dataDir string) (store.Store, string, error) {
	if dataDir == "" {
		dataDir = defaultDataDir
	}
	o, err := backend.Open(ctx, e.getenv("DATABASE_URL"), dataDir)
	if err != nil {
		return nil, "", err
	}
	return o.Store, o.What, nil
}
