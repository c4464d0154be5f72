package onnxio

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ONNX's schema is proto2, where string fields may hold any bytes, and
// onnx.load reads a model whose names or metadata are not UTF-8. Our Go
// bindings are generated as proto3, whose decoder refuses such strings. So
// a model refused for that reason is decoded again after escapeStrings has
// rewritten every invalid string: each byte that is not part of valid UTF-8
// becomes the text \xNN (the rest of the string is kept). Names stay
// distinct as long as they were distinct as bytes, unless one already
// contained the escaped spelling of another.

// maxEscapeDepth bounds the nesting escapeStrings follows (the protobuf
// decoder's own recursion limit is 10,000; ONNX graphs nest in subgraph
// attributes only).
const maxEscapeDepth = 100

// escapeStrings returns the wire-format message b of type md with invalid
// UTF-8 in string fields escaped, and whether anything changed. Fields it
// does not know, and malformed data, are copied as they are (the decoder
// reports them afterwards).
func escapeStrings(b []byte, md protoreflect.MessageDescriptor, depth int) ([]byte, bool) {
	if depth > maxEscapeDepth {
		return b, false
	}
	var out []byte
	changed := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return append(out, b...), changed
		}
		tag := b[:n]
		rest := b[n:]
		fd := md.Fields().ByNumber(num)
		if typ != protowire.BytesType || fd == nil || (fd.Kind() != protoreflect.StringKind && fd.Kind() != protoreflect.MessageKind) {
			m := protowire.ConsumeFieldValue(num, typ, rest)
			if m < 0 {
				return append(out, b...), changed
			}
			out = append(out, b[:n+m]...)
			b = rest[m:]
			continue
		}
		v, m := protowire.ConsumeBytes(rest)
		if m < 0 {
			return append(out, b...), changed
		}
		switch fd.Kind() {
		case protoreflect.StringKind:
			if !utf8.Valid(v) {
				v = []byte(escapeInvalid(v))
				changed = true
			}
		case protoreflect.MessageKind:
			var c bool
			v, c = escapeStrings(v, fd.Message(), depth+1)
			changed = changed || c
		}
		out = append(out, tag...)
		out = protowire.AppendBytes(out, v)
		b = rest[m:]
	}
	return out, changed
}

// escapeInvalid writes the bytes of b that are not valid UTF-8 as \xNN.
func escapeInvalid(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&s, `\x%02x`, b[0])
		} else {
			s.Write(b[:size])
		}
		b = b[size:]
	}
	return s.String()
}
