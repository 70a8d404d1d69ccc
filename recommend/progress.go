package recommend

import (
	"context"

	"github.com/shelfwise/shelfwise"
)

// progressKey is the context key of WithProgress.
type progressKey struct{}

// WithProgress returns a context under which training (TrainHybrid,
// TrainHybridPair, TrainModel, and so Evaluate with a hybrid) reports each
// stage to p: the fraction of the hybrid's stages done, in [0, 1], and the
// stage starting. p is called from the training goroutine, one stage at a
// time.
func WithProgress(ctx context.Context, p shelfwise.Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// stages counts the stages of one hybrid training for WithProgress.
type stages struct {
	p        shelfwise.Progress
	done, of int
}

// newStages reads the reporter of ctx (none: reports are dropped) for a
// training of n stages.
func newStages(ctx context.Context, n int) *stages {
	p, _ := ctx.Value(progressKey{}).(shelfwise.Progress)
	return &stages{p: p, of: n}
}

// start reports that the next stage, msg, starts.
func (s *stages) start(msg string) {
	if s == nil || s.p == nil {
		return
	}
	s.p(float64(min(s.done, s.of))/float64(max(1, s.of)), msg)
	s.done++
}

// finish reports that every stage is done.
func (s *stages) finish(msg string) {
	if s == nil || s.p == nil {
		return
	}
	s.p(1, msg)
}
