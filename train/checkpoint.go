package train

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/conceptcells/conceptcells/internal/fsutil"
)

const (
	checkpointVersion = 1
	checkpointFile    = "checkpoint.gob"
)

// state is everything a checkpoint holds: after Epoch finished epochs, the
// weights, Adam's step count and moments, the RNG state (which next shuffles
// and draws dropout masks) and the history so far.
type state struct {
	Version int
	Seed    uint64
	Batch   int
	LR      float64
	Epoch   int
	Params  *Params
	Adam    *Adam
	RNG     []byte
	History []EpochStats
}

// CheckpointPath returns the checkpoint file inside dir.
func CheckpointPath(dir string) string { return filepath.Join(dir, checkpointFile) }

// saveCheckpoint writes st to dir atomically (a temporary file renamed into
// place), so a kill leaves either the previous or the new checkpoint.
func saveCheckpoint(dir string, st *state) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: checkpoint directory: %w", err)
	}
	return fsutil.WriteFile(CheckpointPath(dir), true, func(w io.Writer) error {
		return gob.NewEncoder(w).Encode(st)
	})
}

type notExistError struct{ error }

func (e notExistError) Unwrap() error { return e.error }

func isNotExist(err error) bool {
	var ne notExistError
	return errors.As(err, &ne)
}

// MaxCheckpointBytes bounds how much of a checkpoint file is read.
const MaxCheckpointBytes = 16 << 20

// loadCheckpoint reads and validates the checkpoint in dir.
func loadCheckpoint(dir string) (*state, error) {
	path := CheckpointPath(dir)
	f, _, err := fsutil.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notExistError{fmt.Errorf("train: no checkpoint at %s", path)}
	}
	if err != nil {
		return nil, fmt.Errorf("train: reading checkpoint: %w", err)
	}
	defer f.Close()
	var st state
	// The checkpoint of the paper's CNN is about 300 KB; a larger file is
	// not one of ours, and gob would allocate whatever it declares.
	if err := gob.NewDecoder(io.LimitReader(f, MaxCheckpointBytes)).Decode(&st); err != nil {
		return nil, fmt.Errorf("train: checkpoint %s is corrupt: %w", path, err)
	}
	if st.Version != checkpointVersion {
		return nil, fmt.Errorf("train: checkpoint %s has version %d, want %d", path, st.Version, checkpointVersion)
	}
	if st.Params == nil || st.Adam == nil {
		return nil, fmt.Errorf("train: checkpoint %s lacks weights or optimiser state", path)
	}
	if err := st.Params.check(); err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	ps := st.Params.List()
	if len(st.Adam.M) != len(ps) || len(st.Adam.V) != len(ps) {
		return nil, fmt.Errorf("train: checkpoint %s: Adam moments for %d/%d tensors, want %d", path, len(st.Adam.M), len(st.Adam.V), len(ps))
	}
	for i, p := range ps {
		if len(st.Adam.M[i]) != len(p.Data) || len(st.Adam.V[i]) != len(p.Data) {
			return nil, fmt.Errorf("train: checkpoint %s: Adam moments of %s have the wrong size", path, p.Name)
		}
	}
	if st.Epoch < 0 || len(st.History) != st.Epoch {
		return nil, fmt.Errorf("train: checkpoint %s: epoch %d with %d history entries", path, st.Epoch, len(st.History))
	}
	return &st, nil
}

// LoadCheckpointParams returns the weights and history stored in the
// checkpoint in dir.
func LoadCheckpointParams(dir string) (*Params, []EpochStats, error) {
	st, err := loadCheckpoint(dir)
	if err != nil {
		return nil, nil, err
	}
	return st.Params, st.History, nil
}
