// Package dispatch is the domain of who is responsible where: given a
// point in the district it names the street, community and grid, the
// street's command sub-centre, the community's work station, the grid's
// workers and the nearest available joint patrols (Directory.Locate).
// Later the incident and case lifecycle (report, dispatch, handle, close)
// lives here too, built on the same Directory.
//
// It imports no HTTP and no SQL: the service adapts requests to Directory
// calls and feeds unit positions (patrols and grid workers) in with
// SetUnit; Suggest names the units to send to an incident.
package dispatch
