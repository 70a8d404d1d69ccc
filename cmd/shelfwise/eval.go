package main

import (
	"github.com/spf13/cobra"
)

// newEvalCmd is the parent of the per-task evaluation commands
// (eval propensity, eval forecast, eval recommend...). Each task's file adds
// its subcommand in evalTasks.
func (m *Main) newEvalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval TASK",
		Short: "Evaluate a task's models on a dataset against naive baselines",
		Long: `eval reads a dataset through the importers' readers, trains on the
earlier part (or the training folds), scores the held-out part and prints the
task's standard metrics, the wall time ("seconds") and the sizes involved.
With --json it prints exactly one JSON object.`,
	}
	for _, c := range m.evalTasks() {
		cmd.AddCommand(c)
	}
	return cmd
}

// evalTasks lists the eval subcommands. Add a line when a task lands.
func (m *Main) evalTasks() []*cobra.Command {
	return []*cobra.Command{
		m.newEvalRecommendCmd(),
		m.newEvalPropensityCmd(),
		m.newEvalForecastCmd(),
	}
}
