package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The state file is written incrementally, so that what one request costs does not grow with the number
// of customers:
//
//   - <StateFile> is a snapshot: the whole state as one JSON document (the format it always had), with
//     the generation of the journal that continues it (journalGen).
//   - <StateFile>.journal appends one JSON line per flush: the generation, the small top-level settings
//     ("head") and only the customers, delegated admin relationships, audit records and replays changed
//     since the previous flush.
//
// Flushes are group commits: a request that changed the state gets its answer only once a flush that
// includes its change is written (as before, when every change rewrote the whole file), and the changes of
// all requests that arrive while one flush is written go into the next. When the journal outgrows the
// snapshot twice over (and at least journalCompactBytes), the next flush writes a fresh snapshot with the next
// generation and truncates the journal; a journal line of another generation than the snapshot's is
// ignored on load, so a crash between the two steps loses nothing. New writes a snapshot after loading,
// Close writes one last snapshot.
const journalCompactBytes = 4 << 20

// persister writes the state file. Fields marked (mu) are guarded by Sandbox.mu; the rest by writeMu.
type persister struct {
	path     string
	interval time.Duration
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once

	writeMu       sync.Mutex
	journal       *os.File
	journalBytes  int64
	snapshotBytes int64

	batch        *commit  // (mu) completed by the next flush; nil when no change waits
	snapshot     bool     // (mu) the next flush writes a snapshot
	auditWritten int      // (mu) audit records already in the snapshot or journal
	replaysAdded []string // (mu) replay keys added since the last flush, in order
	running      bool     // (mu) the background flusher runs
}

// commit is one flush that requests wait for.
type commit struct {
	done chan struct{}
	err  error
}

// wait blocks until the flush that includes the caller's change is written, and returns its error.
func (c *commit) wait() error {
	if c == nil {
		return nil
	}
	<-c.done
	return c.err
}

// journalRecord is one line of the journal.
type journalRecord struct {
	Gen       int64                `json:"gen"`
	Head      *state               `json:"head"`
	Customers map[string]*customer `json:"customers,omitempty"`
	GDAP      map[string]*gdapRel  `json:"gdap,omitempty"`
	Audit     []auditRecord        `json:"audit,omitempty"`
	Replays   []journalReplay      `json:"replays,omitempty"`
}

type journalReplay struct {
	Key      string         `json:"key"`
	Response *savedResponse `json:"response"`
}

func journalPath(stateFile string) string { return stateFile + ".journal" }

// requestFlushLocked asks for the state changed so far to be written and returns what to wait for; nil
// when nothing changed or nothing is persisted.
func (s *Sandbox) requestFlushLocked() *commit {
	if !s.dirty {
		return nil
	}
	s.dirty = false
	if s.opts.StateFile == "" || !s.p.running {
		return nil
	}
	if s.p.batch == nil {
		s.p.batch = &commit{done: make(chan struct{})}
	}
	select {
	case s.p.wake <- struct{}{}:
	default:
	}
	return s.p.batch
}

// saveLocked asks for a flush without waiting for it (best-effort state such as fault counters).
func (s *Sandbox) saveLocked() error {
	s.requestFlushLocked()
	return nil
}

// startPersister starts the background flusher.
func (s *Sandbox) startPersister() {
	if s.opts.StateFile == "" {
		return
	}
	s.p.running = true
	go func() {
		defer close(s.p.done)
		var last time.Time
		for {
			select {
			case <-s.p.stop:
				return
			case <-s.p.wake:
			}
			if wait := s.p.interval - time.Since(last); s.p.interval > 0 && wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-s.p.stop:
					t.Stop()
					return
				case <-t.C:
				}
			}
			last = time.Now()
			if err := s.flush(false); err != nil {
				s.log.Error("save sandbox state", "error", err)
			}
		}
	}()
}

// stopPersister stops the background flusher; a change still waiting is written by the caller's flush.
func (s *Sandbox) stopPersister() {
	s.p.stopOnce.Do(func() {
		s.mu.Lock()
		running := s.p.running
		s.p.running = false
		s.mu.Unlock()
		close(s.p.stop)
		if running {
			<-s.p.done
		}
	})
}

// flush writes what changed: a journal line, or a snapshot when full is set, after a reset, or when the
// journal has grown past the snapshot. It completes the waiting commit. Call it without Sandbox.mu.
func (s *Sandbox) flush(full bool) error {
	if s.opts.StateFile == "" {
		return nil
	}
	s.p.writeMu.Lock()
	defer s.p.writeMu.Unlock()

	s.mu.Lock()
	b := s.p.batch
	s.p.batch = nil
	s.dirty = false
	full = full || s.p.snapshot || s.p.auditWritten > len(s.st.Audit) ||
		s.p.journalBytes > max(journalCompactBytes, 2*s.p.snapshotBytes)
	var data []byte
	var err error
	if full {
		s.st.JournalGen++
		data, err = json.Marshal(s.st)
		s.p.snapshot = false
	} else {
		data, err = s.journalRecordLocked()
	}
	clear(s.ix.jCustomers)
	clear(s.ix.jGDAP)
	s.p.auditWritten = len(s.st.Audit)
	s.p.replaysAdded = s.p.replaysAdded[:0]
	s.mu.Unlock()

	if err == nil {
		if full {
			err = s.writeSnapshot(data)
		} else if data != nil {
			err = s.appendJournal(data)
		}
	}
	if err != nil {
		// What was taken for this flush is not on disk: the next flush writes everything.
		s.mu.Lock()
		s.p.snapshot = true
		s.dirty = true
		s.mu.Unlock()
	}
	if b != nil {
		b.err = err
		close(b.done)
	}
	return err
}

// journalRecordLocked encodes what changed since the last flush; nil when nothing did.
func (s *Sandbox) journalRecordLocked() ([]byte, error) {
	head := *s.st
	// The keys only change when a snapshot is written (New); the collections are written per entity.
	head.TokenKey, head.CAKeyPEM, head.CACertPEM, head.SignKeyPEM, head.SignCertPEM = nil, "", "", "", ""
	head.Customers, head.GDAP, head.Audit, head.Replays, head.ReplayOrder = nil, nil, nil, nil, nil
	rec := journalRecord{Gen: s.st.JournalGen, Head: &head}
	for id := range s.ix.jCustomers {
		if c, ok := s.st.Customers[id]; ok {
			if rec.Customers == nil {
				rec.Customers = map[string]*customer{}
			}
			rec.Customers[id] = c
		}
	}
	for id := range s.ix.jGDAP {
		if g, ok := s.st.GDAP[id]; ok {
			if rec.GDAP == nil {
				rec.GDAP = map[string]*gdapRel{}
			}
			rec.GDAP[id] = g
		}
	}
	rec.Audit = s.st.Audit[s.p.auditWritten:]
	for _, k := range s.p.replaysAdded {
		if v, ok := s.st.Replays[k]; ok {
			rec.Replays = append(rec.Replays, journalReplay{Key: k, Response: v})
		}
	}
	return json.Marshal(rec)
}

// writeSnapshot replaces the state file (temp file + rename, so a crash never leaves half a file) and
// then empties the journal, whose lines belong to the previous generation.
func (s *Sandbox) writeSnapshot(data []byte) error {
	path := s.opts.StateFile
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".sandbox-state-*") // 0600
	if err != nil {
		return fmt.Errorf("create temp state file: %w", err)
	}
	// CreateTemp makes the file 0600 already; the explicit mode documents it and holds on any platform.
	perr := tmp.Chmod(0o600)
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(perr, werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("replace state file: %w", err)
	}
	s.p.snapshotBytes = int64(len(data))
	if s.p.journal != nil {
		_ = s.p.journal.Close()
		s.p.journal = nil
	}
	if err := os.Remove(journalPath(path)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove state journal: %w", err)
	}
	s.p.journalBytes = 0
	return nil
}

func (s *Sandbox) appendJournal(data []byte) error {
	if s.p.journal == nil {
		f, err := os.OpenFile(journalPath(s.opts.StateFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("open state journal: %w", err)
		}
		s.p.journal = f
	}
	line := make([]byte, 0, len(data)+1)
	line = append(append(line, data...), '\n')
	if _, err := s.p.journal.Write(line); err != nil {
		return fmt.Errorf("append state journal: %w", err)
	}
	s.p.journalBytes += int64(len(line))
	return nil
}

// applyJournal replays the journal lines of the snapshot's generation onto st. A last line cut short (a
// crash while it was written) is ignored; any other line that does not decode is an error.
func applyJournal(path string, st *state) error {
	data, err := os.ReadFile(journalPath(path))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read state journal: %w", err)
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break // torn last line
		}
		line := data[:i]
		data = data[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec journalRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return fmt.Errorf("decode state journal %s: %w", journalPath(path), err)
		}
		if rec.Gen != st.JournalGen || rec.Head == nil {
			continue
		}
		h := *rec.Head
		h.TokenKey, h.CAKeyPEM, h.CACertPEM, h.SignKeyPEM, h.SignCertPEM = st.TokenKey, st.CAKeyPEM, st.CACertPEM, st.SignKeyPEM, st.SignCertPEM
		h.Customers, h.GDAP, h.Audit, h.Replays, h.ReplayOrder = st.Customers, st.GDAP, st.Audit, st.Replays, st.ReplayOrder
		if h.Partners == nil {
			h.Partners = st.Partners
		}
		*st = h
		for id, c := range rec.Customers {
			st.Customers[id] = c
		}
		for id, g := range rec.GDAP {
			st.GDAP[id] = g
		}
		st.Audit = append(st.Audit, rec.Audit...)
		for _, r := range rec.Replays {
			if _, ok := st.Replays[r.Key]; !ok {
				st.ReplayOrder = append(st.ReplayOrder, r.Key)
			}
			st.Replays[r.Key] = r.Response
		}
		for len(st.ReplayOrder) > maxReplays {
			delete(st.Replays, st.ReplayOrder[0])
			st.ReplayOrder = st.ReplayOrder[1:]
		}
	}
	return nil
}
