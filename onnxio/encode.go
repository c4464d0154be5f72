package onnxio

import (
	"fmt"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/onnxio/onnxpb"
)

// Encode serializes mp in the ONNX wire format. The output is
// deterministic for a given mp (map-free schema, fields in number order).
func Encode(mp *onnxpb.ModelProto) ([]byte, error) {
	if mp == nil {
		return nil, &FormatError{Stage: "encoding model", Msg: "no model"}
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, &FormatError{Stage: "encoding model", Err: err}
	}
	if len(data) > MaxModelBytes {
		return nil, &FormatError{Stage: "encoding model", Msg: fmt.Sprintf("%d bytes, more than the 2 GiB a protobuf can hold", len(data))}
	}
	return data, nil
}

// Save validates mp (as FromProto, with external data resolved beside
// path), encodes it and writes it to path atomically (temporary file and
// rename). An existing file is replaced only with force.
func Save(path string, mp *onnxpb.ModelProto, force bool) error {
	if err := CheckValid(mp, filepath.Dir(path)); err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	data, err := Encode(mp)
	if err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	return fsutil.WriteBytes(path, force, data)
}
