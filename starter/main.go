// Command starter is the operator CLI for csptransfer: it starts, steers and inspects transfers, and (in
// later commands) runs the trigger service. It talks to Temporal through the same TEMPORAL_* settings and
// temporal.toml profiles as the worker.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/csptransfer/csptransfer/workflows"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot(os.Stdout).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

func newRoot(out io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "starter",
		Short:         "Start, steer and inspect csptransfer transfers",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(out)
	root.AddCommand(newSearchAttributesCmd())
	return root
}

// newSearchAttributesCmd prints the custom search attributes the workflow writes, one "Name Type" per line,
// so scripts register exactly the names the code uses.
func newSearchAttributesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "search-attributes",
		Short: "Print the custom search attributes to register on a namespace (name and type per line)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, sa := range workflows.SearchAttributes() {
				if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", sa.Name, sa.Type); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
