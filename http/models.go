package http

import (
	"net/http"

	"github.com/shelfwise/shelfwise"
)

// TaskOut is one model task and its served version.
type TaskOut struct {
	Task     string                  `json:"task"`
	Served   *shelfwise.ModelVersion `json:"served"`
	Versions int                     `json:"versions"`
}

// ModelsOut lists the model tasks.
type ModelsOut struct {
	Tasks []TaskOut `json:"tasks"`
}

// PromoteIn is the body of POST /v1/models/{task}/promote.
type PromoteIn struct {
	Version int  `json:"version"`
	Force   bool `json:"force,omitempty"`
}

func (s *Server) needModels() error {
	if s.cfg.Models == nil || s.cfg.Manager == nil {
		return notLanded("the model registry")
	}
	return nil
}

// tasks lists the manager's tasks and any task with registered versions.
func (s *Server) tasks(r *http.Request) ([]TaskOut, error) {
	if err := s.needModels(); err != nil {
		return nil, err
	}
	vs, err := s.cfg.Models.Versions(r.Context(), "")
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	var out []TaskOut
	add := func(t string) int {
		if i, ok := idx[t]; ok {
			return i
		}
		idx[t] = len(out)
		out = append(out, TaskOut{Task: t})
		return idx[t]
	}
	for _, t := range s.cfg.Manager.Tasks() {
		add(t)
	}
	for _, v := range vs {
		i := add(v.Task)
		t := &out[i]
		t.Versions++
		if v.Status == shelfwise.VersionPromoted {
			t.Served = &v
		}
	}
	return out, nil
}

func (s *Server) getModels(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.tasks(r)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []TaskOut{}
	}
	writeJSON(w, http.StatusOK, ModelsOut{Tasks: ts})
	return nil
}

func (s *Server) getVersions(w http.ResponseWriter, r *http.Request) error {
	if err := s.needModels(); err != nil {
		return err
	}
	vs, err := s.cfg.Models.Versions(r.Context(), r.PathValue("task"))
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []shelfwise.ModelVersion{}
	}
	writeJSON(w, http.StatusOK, vs)
	return nil
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	if err := s.needModels(); err != nil {
		return err
	}
	n, err := parseVersion(r)
	if err != nil {
		return err
	}
	v, err := s.cfg.Models.Version(r.Context(), r.PathValue("task"), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) promote(w http.ResponseWriter, r *http.Request) error {
	if err := s.needModels(); err != nil {
		return err
	}
	var in PromoteIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Version < 1 {
		return invalidField("version", "required: a positive version number")
	}
	v, err := s.cfg.Manager.Promote(r.Context(), r.PathValue("task"), in.Version, in.Force)
	if err != nil {
		return err
	}
	s.log.Info("model promoted over the API", "task", v.Task, "version", v.Version, "key", apiKey(r).ID, "force", in.Force)
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) rollback(w http.ResponseWriter, r *http.Request) error {
	if err := s.needModels(); err != nil {
		return err
	}
	v, err := s.cfg.Manager.Rollback(r.Context(), r.PathValue("task"))
	if err != nil {
		return err
	}
	s.log.Info("model rolled back over the API", "task", v.Task, "version", v.Version, "key", apiKey(r).ID)
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) retrain(w http.ResponseWriter, r *http.Request) error {
	if err := s.needModels(); err != nil {
		return err
	}
	j, err := s.cfg.Manager.Retrain(r.Context(), r.PathValue("task"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/jobs/"+j.ID)
	writeJSON(w, http.StatusAccepted, j)
	return nil
}

func (s *Server) getJobs(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Jobs == nil {
		return notLanded("background jobs")
	}
	n, err := queryInt(r, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	js, err := s.cfg.Jobs.Jobs(r.Context(), n)
	if err != nil {
		return err
	}
	if js == nil {
		js = []shelfwise.Job{}
	}
	writeJSON(w, http.StatusOK, js)
	return nil
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Jobs == nil {
		return notLanded("background jobs")
	}
	j, err := s.cfg.Jobs.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

// KeyIn is the body of POST /v1/keys.
type KeyIn struct {
	Role string `json:"role"`
	Name string `json:"name,omitempty"`
}

// KeyOut is a new key with its secret, shown only once.
type KeyOut struct {
	Key    shelfwise.APIKey `json:"key"`
	Secret string           `json:"secret"`
}

// KeyRevoked confirms a revocation.
type KeyRevoked struct {
	Revoked string `json:"revoked"`
}

func (s *Server) getKeys(w http.ResponseWriter, r *http.Request) error {
	ks, err := s.cfg.Keys.Keys(r.Context())
	if err != nil {
		return err
	}
	if ks == nil {
		ks = []shelfwise.APIKey{}
	}
	writeJSON(w, http.StatusOK, ks)
	return nil
}

func (s *Server) postKey(w http.ResponseWriter, r *http.Request) error {
	var in KeyIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	k, secret, err := s.cfg.Keys.CreateKey(r.Context(), shelfwise.Role(in.Role), in.Name)
	if err != nil {
		return err
	}
	s.log.Info("API key created", "id", k.ID, "role", k.Role, "by", apiKey(r).ID)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, KeyOut{Key: k, Secret: secret})
	return nil
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.cfg.Keys.RevokeKey(r.Context(), id); err != nil {
		return err
	}
	s.log.Info("API key revoked", "id", id, "by", apiKey(r).ID)
	writeJSON(w, http.StatusOK, KeyRevoked{Revoked: id})
	return nil
}

// LinkIn is the body of POST /v1/dashboard/links.
type LinkIn struct {
	// Next is the dashboard page to open (default the overview).
	Next string `json:"next,omitempty"`
}

// LinkOut is a one-time sign-in path, relative to the server.
type LinkOut struct {
	Path string `json:"path"`
}

func (s *Server) postLink(w http.ResponseWriter, r *http.Request) error {
	var in LinkIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	secret, err := s.bearer(r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, LinkOut{Path: s.SignInLink(apiKey(r), secret, in.Next)})
	return nil
}
