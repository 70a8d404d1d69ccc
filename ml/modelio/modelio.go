package modelio

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// magic starts every envelope.
var magic = [4]byte{'S', 'W', 'M', 'L'}

// headerLen is magic(4) + kind length(1) + version(2) + payload length(8);
// the kind bytes follow, then the payload, then the 32-byte checksum.
const headerLen = 4 + 1 + 2 + 8

// ErrCorrupt is wrapped by every error about a damaged model file.
var ErrCorrupt = errors.New("corrupt model file")

// Seal wraps payload in an envelope naming its kind (e.g. "gbdt", "mlp")
// and format version.
func Seal(kind string, version uint16, payload []byte) []byte {
	if len(kind) > 255 {
		panic("modelio: kind longer than 255 bytes")
	}
	out := make([]byte, 0, headerLen+len(kind)+len(payload)+sha256.Size)
	out = append(out, magic[:]...)
	out = append(out, byte(len(kind)))
	out = binary.LittleEndian.AppendUint16(out, version)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(payload)))
	out = append(out, kind...)
	out = append(out, payload...)
	sum := sha256.Sum256(out)
	return append(out, sum[:]...)
}

// Open checks an envelope and returns its payload. It fails, wrapping
// ErrCorrupt, when the data is truncated, altered or not a model file, and
// with a plain error when the kind differs or the version is newer than
// maxVersion (a file written by a later Shelfwise).
func Open(data []byte, kind string, maxVersion uint16) (version uint16, payload []byte, err error) {
	if len(data) < headerLen || !bytes.Equal(data[:4], magic[:]) {
		return 0, nil, fmt.Errorf("%w: not a Shelfwise model (bad header)", ErrCorrupt)
	}
	klen := int(data[4])
	version = binary.LittleEndian.Uint16(data[5:7])
	plen := binary.LittleEndian.Uint64(data[7:15])
	want := uint64(headerLen+klen) + plen + sha256.Size
	if plen > math.MaxInt32*4 || uint64(len(data)) != want {
		return 0, nil, fmt.Errorf("%w: %d bytes, header says %d (truncated or padded)", ErrCorrupt, len(data), want)
	}
	body := data[:len(data)-sha256.Size]
	sum := sha256.Sum256(body)
	if !bytes.Equal(sum[:], data[len(data)-sha256.Size:]) {
		return 0, nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	got := string(data[headerLen : headerLen+klen])
	if got != kind {
		return 0, nil, fmt.Errorf("model file holds a %q model, want %q", got, kind)
	}
	if version > maxVersion {
		return 0, nil, fmt.Errorf("%s model format version %d is newer than this program supports (%d)", kind, version, maxVersion)
	}
	return version, body[headerLen+klen:], nil
}

// Kind returns the kind recorded in an envelope without checking the rest,
// so a caller can dispatch to the right decoder; "" if data is no envelope.
func Kind(data []byte) string {
	if len(data) < headerLen || !bytes.Equal(data[:4], magic[:]) {
		return ""
	}
	klen := int(data[4])
	if len(data) < headerLen+klen {
		return ""
	}
	return string(data[headerLen : headerLen+klen])
}
