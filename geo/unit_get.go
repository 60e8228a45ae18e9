package geo

// Get returns a unit's position and status; ok is false for an unknown id.
func (ix *UnitIndex) Get(id string) (lon, lat float64, st UnitStatus, ok bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	i, ok := ix.byID[id]
	if !ok {
		return 0, 0, 0, false
	}
	u := &ix.units[i]
	return u.lon, u.lat, u.st, true
}

// SetStatus changes a unit's status where it is; false for an unknown id
// or status.
func (ix *UnitIndex) SetStatus(id string, st UnitStatus) bool {
	if st < UnitAvailable || st > UnitOffline {
		return false
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	i, ok := ix.byID[id]
	if ok {
		ix.units[i].st = st
	}
	return ok
}
