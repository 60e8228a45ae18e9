// Package memlat holds only a benchmark: the latency of a random dependent
// load as the memory it ranges over grows. It explains the point-location
// figures in geo/README.md (why an index that outgrows the caches, and on
// a virtual machine the translation caches, pays per lookup).
package memlat
