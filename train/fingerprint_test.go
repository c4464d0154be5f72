package train

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"runtime"
	"testing"

	"github.com/conceptcells/conceptcells/internal/kernels"
)

// paramsDigest returns the SHA-256 of the parameters' float32 bits.
func paramsDigest(p *Params) string {
	h := sha256.New()
	for _, t := range p.List() {
		binary.Write(h, binary.LittleEndian, t.Data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// trainingDigest is the digest of the weights after TestTrainingFingerprint's
// run, recorded with the code that trained testdata/mnist_cnn_go.onnx
// (the shared packed-GEMM kernels of internal/kernels, FMA micro-kernels).
// Any change to the arithmetic of training (kernels,
// summation order, RNG use) changes it; then the bundled model can no longer
// be reproduced bit for bit by `conceptcells train` and must be retrained.
const trainingDigest = "bdddfc6cecc1fc3b1cba2b415566543188c42468590245f996d296e8acec646d"

func TestTrainingFingerprint(t *testing.T) {
	if runtime.GOARCH != "amd64" || kernels.KernelName() == "go" {
		t.Skipf("the digest was recorded with the amd64 FMA micro-kernels; this build uses %q", kernels.KernelName())
	}
	tr, te := smallSets(t)
	res, err := Train(context.Background(), tr, te, smallOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got := paramsDigest(res.Params); got != trainingDigest {
		t.Errorf("weights digest %s, want %s: training arithmetic changed", got, trainingDigest)
	}
}
