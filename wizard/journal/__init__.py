"""The journal: its byte format and chain (store), a line index for large files (index), and the
one read model every view uses (fold)."""

from wizard.journal.fold import Attempt, DayPass, DayState, EnvInfo, Fold, StepRecord, TaskTiming, replay
from wizard.journal.index import JournalIndex
from wizard.journal.store import (FORMAT_VERSION, GENESIS, CorruptJournal, Journal, Problem, ReadOutcome, Verification,
                                  check_head, event_hash, head_path, line_hash, read_events, read_head, verify, write_head)

__all__ = ["Attempt", "CorruptJournal", "DayPass", "DayState", "EnvInfo", "FORMAT_VERSION", "Fold", "GENESIS", "Journal",
           "JournalIndex", "Problem", "ReadOutcome", "StepRecord", "TaskTiming", "Verification", "check_head", "event_hash",
           "head_path", "line_hash", "read_events", "read_head", "replay", "verify", "write_head"]
