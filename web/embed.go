// Package web holds gridd's map pages, built by web/build.mjs (npm, esbuild)
// into web/dist and committed, so that gridd serves them without node:
// console.html (the dispatcher console, /), planner.html (the planner view,
// /planner), their hashed scripts and stylesheets, MapLibre's worker and
// LICENSES.txt of the bundled npm packages.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Dist answers the built assets, rooted at web/dist.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // only if the directive above changed
		panic(err)
	}
	return sub
}
