package onnxio

import (
	"fmt"
	"strings"
)

// FormatError reports malformed input: a file that is not a valid ONNX model
// or tensor, or a model that breaks a rule of the ONNX IR specification.
//
// The message names the stage, then the file, node, tensor and attribute
// involved, in that order, pprof style:
//
//	malformed model: node "/conv1/Conv" input "x": not defined by a graph input, an initializer or an earlier node
type FormatError struct {
	Stage  string // what was being done, e.g. "parsing model", "malformed model", "reading tensor"
	File   string // file involved, if any
	Node   string // node name (or "#index op" for an unnamed node), if any
	Tensor string // tensor involved, if any
	Role   string // how Tensor is used ("input", "output", "initializer"); "tensor" if empty
	Attr   string // attribute involved, if any
	Msg    string // what is wrong
	Err    error  // underlying error, if any
}

func (e *FormatError) Error() string {
	var b strings.Builder
	stage := e.Stage
	if stage == "" {
		stage = "malformed model"
	}
	b.WriteString(stage)
	b.WriteString(": ")
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Node != "" {
		fmt.Fprintf(&b, "node %q ", e.Node)
	}
	if e.Tensor != "" {
		role := e.Role
		if role == "" {
			role = "tensor"
		}
		fmt.Fprintf(&b, "%s %q ", role, e.Tensor)
	}
	if e.Attr != "" {
		fmt.Fprintf(&b, "attribute %q ", e.Attr)
	}
	s := strings.TrimSuffix(b.String(), " ")
	b.Reset()
	b.WriteString(s)
	if !strings.HasSuffix(s, ":") {
		b.WriteString(":")
	}
	if e.Msg != "" {
		b.WriteString(" ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		if e.Msg != "" {
			b.WriteString(":")
		}
		b.WriteString(" ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *FormatError) Unwrap() error { return e.Err }

// UnsupportedError reports a valid ONNX feature that conceptcells does not
// handle: an operator, an opset, an attribute value or a data type. The
// executor raises it too, so the fields cover both uses.
//
//	unsupported: node "/Resize" (op Resize, opset 13): attribute "mode": value "cubic"
type UnsupportedError struct {
	Stage  string // defaults to "unsupported"
	Op     string // operator type, if any
	Domain string // operator domain, if not the default
	Node   string // node name, if any
	Opset  int64  // opset version in force, if known
	Tensor string // tensor involved, if any
	Attr   string // attribute involved, if any
	Msg    string // what is not supported
}

func (e *UnsupportedError) Error() string {
	var b strings.Builder
	stage := e.Stage
	if stage == "" {
		stage = "unsupported"
	}
	b.WriteString(stage)
	b.WriteString(":")
	if e.Node != "" {
		fmt.Fprintf(&b, " node %q", e.Node)
	}
	var op []string
	if e.Op != "" {
		op = append(op, "op "+e.Op)
	}
	if e.Domain != "" && e.Domain != "ai.onnx" {
		op = append(op, fmt.Sprintf("domain %q", e.Domain))
	}
	if e.Opset != 0 {
		op = append(op, fmt.Sprintf("opset %d", e.Opset))
	}
	if len(op) > 0 {
		if e.Node != "" {
			b.WriteString(" (" + strings.Join(op, ", ") + ")")
		} else {
			b.WriteString(" " + strings.Join(op, ", "))
		}
	}
	if e.Tensor != "" {
		fmt.Fprintf(&b, " tensor %q", e.Tensor)
	}
	if e.Attr != "" {
		fmt.Fprintf(&b, " attribute %q", e.Attr)
	}
	if e.Msg != "" {
		if b.Len() > len(stage)+1 {
			b.WriteString(":")
		}
		b.WriteString(" ")
		b.WriteString(e.Msg)
	}
	return b.String()
}
