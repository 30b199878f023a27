// Package codec encrypts every payload the product stores in Temporal (inputs, results, signals, updates,
// query answers, memo, failure details, heartbeats) with AES-256-GCM before it leaves the process, so the
// history on the server holds no readable customer data. Keys live in a key ring: new payloads use the
// newest key, old payloads stay readable with the key they name, so keys rotate without breaking running
// transfers.
//
// Failure messages and stack traces are not payloads: they stay plain, so the Temporal UI and CLI show why
// a transfer failed or an update was rejected without the codec endpoint. Whoever builds an error must
// keep personal data out of its message (the activities do: see package activities).
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	MetadataEncoding = "encoding"
	MetadataKeyID    = "encryption-key-id"
	// EncodingEncrypted marks a payload this codec encrypted.
	EncodingEncrypted = "binary/encrypted"
)

// Key is one AES-256 key with the id stored beside every payload it encrypts.
type Key struct {
	ID     string
	secret []byte
}

// String never shows the key material.
func (k Key) String() string { return "codec key " + k.ID }

// GoString keeps the key material out of %#v.
func (k Key) GoString() string { return k.String() }

// Ring holds the keys; the last one encrypts.
type Ring struct {
	keys []Key
}

// String lists the key ids, never the key material (fmt would print the unexported secrets otherwise).
func (r Ring) String() string {
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.ID
	}
	return "codec key ring [" + strings.Join(ids, " ") + "]"
}

// GoString keeps the key material out of %#v.
func (r Ring) GoString() string { return r.String() }

// ParseRing reads "id=base64key,id2=base64key2": 32-byte keys in standard or URL base64, the last one the
// newest. Errors name the entry by its position, never its text: a key given without its id would
// otherwise be taken for the id and shown.
func ParseRing(spec string) (*Ring, error) {
	r := &Ring{}
	first := map[string]int{} // id → position of the entry that named it
	for i, entry := range strings.Split(spec, ",") {
		n := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, b64, ok := strings.Cut(entry, "=")
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		// Base64 padding is all that follows the "=" of a key given without an id.
		if !ok || id == "" || strings.ContainsAny(id, " \t") || strings.Trim(b64, "=") == "" {
			return nil, entryError(n, "no id=key pair (is the id missing?)")
		}
		if p, dup := first[id]; dup {
			return nil, entryError(n, fmt.Sprintf("same id as entry %d", p))
		}
		secret, err := decodeKey(b64)
		if err != nil {
			return nil, entryError(n, err.Error())
		}
		first[id] = n
		r.keys = append(r.keys, Key{ID: id, secret: secret})
	}
	if len(r.keys) == 0 {
		return nil, errors.New("no keys (expected " + ringFormat + ")")
	}
	return r, nil
}

// ringFormat is what ParseRing expects, for its errors.
const ringFormat = "id=base64 of 32 random bytes, comma-separated, newest last"

func entryError(n int, problem string) error {
	return fmt.Errorf("entry %d: %s (expected %s)", n, problem, ringFormat)
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("key must be 32 bytes (AES-256), got %d", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("key is not base64")
}

// NewKey makes a random key in the ring's text form, for `make run` and operators.
func NewKey(id string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return id + "=" + base64.StdEncoding.EncodeToString(b), nil
}

// Newest is the key that encrypts new payloads.
func (r *Ring) Newest() Key { return r.keys[len(r.keys)-1] }

func (r *Ring) key(id string) (Key, bool) {
	for _, k := range r.keys {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// Codec is the payload codec: it encrypts with the ring's newest key and decrypts with whichever key a
// payload names.
type Codec struct{ Ring *Ring }

var _ converter.PayloadCodec = Codec{}

// Encode encrypts each payload.
func (c Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	k := c.Ring.Newest()
	gcm, err := newGCM(k.secret)
	if err != nil {
		return nil, err
	}
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		nonce := make([]byte, gcm.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{MetadataEncoding: []byte(EncodingEncrypted), MetadataKeyID: []byte(k.ID)},
			Data:     gcm.Seal(nonce, nonce, plain, []byte(k.ID)),
		}
	}
	return out, nil
}

// Decode decrypts the payloads this codec encrypted and passes others through unchanged, so histories
// written before encryption was turned on stay readable.
func (c Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		k, ok := c.Ring.key(id)
		if !ok {
			return nil, fmt.Errorf("decode payload: no key %q in the key ring (was it rotated out too early?)", id)
		}
		gcm, err := newGCM(k.secret)
		if err != nil {
			return nil, err
		}
		if len(p.Data) < gcm.NonceSize() {
			return nil, errors.New("decode payload: encrypted data too short")
		}
		nonce, sealed := p.Data[:gcm.NonceSize()], p.Data[gcm.NonceSize():]
		plain, err := gcm.Open(nil, nonce, sealed, []byte(k.ID))
		if err != nil {
			return nil, fmt.Errorf("decode payload with key %q: authentication failed", id)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, fmt.Errorf("decode payload: %w", err)
		}
		out[i] = &dec
	}
	return out, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("codec key: %w", err)
	}
	return cipher.NewGCM(block)
}

// DataConverter wraps the default converter with the codec; nil ring means no encryption.
func DataConverter(r *Ring) converter.DataConverter {
	if r == nil {
		return converter.GetDefaultDataConverter()
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), Codec{Ring: r})
}

// FailureConverter converts errors to Temporal failures and back with the data converter, so failure
// details stay encrypted while messages and stack traces are stored in plain text, readable in the UI.
//
// Failures written while messages were encrypted too (EncodeCommonAttributes, until the UI had to show
// them) still decode: the SDK reads a failure's encoded attributes whenever it has them, through the
// data converter and so through the key ring, whatever this converter writes. Keep the keys of such
// histories in the ring for as long as they are read.
func FailureConverter(r *Ring) converter.FailureConverter {
	if r == nil {
		return temporal.GetDefaultFailureConverter()
	}
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: DataConverter(r)})
}
