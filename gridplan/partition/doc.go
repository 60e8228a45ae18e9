// Package partition cuts a district's communities into grids of about the
// target households (500 urban, 300 rural) on H3 cells: Plan makes a draft
// gridplan.Plan and its Report. How a community is planned is described in
// gridplan/README.md. It imports no HTTP and no SQL.
package partition
