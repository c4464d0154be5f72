package train

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"runtime"
	"testing"
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
// (commit 8f2cea3). Any change to the arithmetic of training (kernels,
// summation order, RNG use) changes it; then the bundled model can no longer
// be reproduced bit for bit by `conceptcells train` and must be retrained.
const trainingDigest = "60c2957acc97af8ff2d9e7a7dee3f98dd9c2f0400ec54ffae94c713a77efc32f"

func TestTrainingFingerprint(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the digest was recorded with gonum's amd64 assembly kernels")
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
