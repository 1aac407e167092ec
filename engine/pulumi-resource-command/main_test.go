// main_test.go — the stand-in marker scripts/engine.sh looks for, and the version it answers for.
package main

import (
	"strings"
	"testing"
)

func TestVersionLineCarriesTheStandInMarker(t *testing.T) {
	line := versionLine()
	if StandInMarker != "docker-host-standin-command-provider" {
		t.Fatalf("StandInMarker changed to %q; scripts/engine.sh greps for the old value", StandInMarker)
	}
	if !strings.Contains(line, StandInMarker) || !strings.Contains(line, Version) {
		t.Errorf("version line %q lacks the marker or the version", line)
	}
}
