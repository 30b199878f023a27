package workerapp

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDeadWorkersOfThisHostAreNotCounted: a worker restarted after a crash does not share its budget with
// its former self, which Temporal still lists for a while.
func TestDeadWorkersOfThisHostAreNotCounted(t *testing.T) {
	host, err := os.Hostname()
	require.NoError(t, err)
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	gone := cmd.Process.Pid // exited and reaped

	require.True(t, deadHere(fmt.Sprintf("%d@%s@a1b2c3d4", gone, host)))
	require.False(t, deadHere(fmt.Sprintf("%d@%s@a1b2c3d4", os.Getpid(), host)), "this process: other workers in it count")
	require.False(t, deadHere(fmt.Sprintf("%d@%s@a1b2c3d4", os.Getppid(), host)), "a live process")
	require.False(t, deadHere(fmt.Sprintf("%d@another-host@a1b2c3d4", gone)), "another host's workers are counted until Temporal forgets them")
	require.False(t, deadHere("not-an-identity"))
}
