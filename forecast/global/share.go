package global

import (
	"context"
	"sync"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/gbdt"
)

// trainShare lets members of a blend that train on the same rows (the same
// origins, features and weights; different objectives, target clips or
// seeds) build and bin the training matrix once. An entry is dropped once
// its users have taken it, or when a forecast at another origin starts.
type trainShare struct {
	users int // members per entry
	mu    sync.Mutex
	m     map[shareKey]*shareEntry
}

// shareKey identifies a training set: the series slice and its cut, the
// horizon, and the member fields that choose rows and bins.
type shareKey struct {
	first                           **shelfwise.Series
	n, cut, h                       int
	stride, phase, maxOrigins, bins int
}

type shareEntry struct {
	once  sync.Once
	taken int
	ts    *trainSet
	err   error
}

// trainSet is a binned training matrix with its unclipped targets and
// weights, shared read-only.
type trainSet struct {
	B    *gbdt.Binned
	Y, W []float64
}

func newTrainShare(users int) *trainShare {
	return &trainShare{users: users, m: map[shareKey]*shareEntry{}}
}

// get returns the entry's training set, building it with build the first
// time.
func (s *trainShare) get(k shareKey, build func() (*trainSet, error)) (*trainSet, error) {
	s.mu.Lock()
	e := s.m[k]
	if e == nil {
		for old := range s.m {
			if old.first != k.first || old.n != k.n || old.cut != k.cut {
				delete(s.m, old)
			}
		}
		e = &shareEntry{}
		s.m[k] = e
	}
	e.taken++
	if e.taken >= s.users {
		delete(s.m, k)
	}
	s.mu.Unlock()
	e.once.Do(func() { e.ts, e.err = build() })
	return e.ts, e.err
}

// binnedTrainingSet builds (or takes from the share) the binned training
// rows of series cut at cut.
func (m *Model) binnedTrainingSet(ctx context.Context, series []*shelfwise.Series, den [][]float64, infos []seriesInfo, cut, h int, counts bool, params gbdt.Params) (*trainSet, error) {
	build := func() (*trainSet, error) {
		X, Y, W, err := m.trainingSet(ctx, series, den, infos, cut, h, counts)
		if err != nil {
			return nil, err
		}
		B, err := gbdt.BinWith(ctx, X, params)
		if err != nil {
			return nil, err
		}
		return &trainSet{B: B, Y: Y, W: W}, nil
	}
	if m.share == nil || len(series) == 0 {
		return build()
	}
	k := shareKey{first: &series[0], n: len(series), cut: cut, h: h,
		stride: m.OriginStride, phase: m.OriginPhase, maxOrigins: m.MaxOrigins, bins: params.MaxBins}
	return m.share.get(k, build)
}
