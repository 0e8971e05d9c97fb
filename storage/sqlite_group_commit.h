// storage/sqlite_group_commit.h: group commit over one SQLite connection, for the SQLite
// storage.
//
// Writes (Write) run at once, each inside its own SAVEPOINT of one long write transaction, so a
// failing write changes nothing while the others stay; they are visible to every later read or
// write on the connection. WaitDurable(ticket) makes them durable: the first waiter commits the
// open transaction (one COMMIT, hence one fsync under synchronous=FULL, for every write made
// since the last commit) while later waiters wait for it, and writes that arrive meanwhile join
// the next transaction; a waiter given a follower grace lets a caller that writes right after
// it commit instead, so that one commit covers both. Commits happen in write order, so the
// durable state is always a prefix of the writes.
//
// A failed COMMIT (disk full, I/O error), or SQLite rolling the transaction back by itself
// after such an error, loses every write of the open transaction: the database is back at its
// durable state, WaitDurable for those writes' ticket returns the error (always, also later),
// and every Write is refused with it until ResumeWrites(), so that a caller who cached the lost
// writes can re-read the database first. A failed sync after a COMMIT is answered the same way,
// but its writes are in doubt rather than gone: SQLite shows them, and whether the disk kept
// them is unknown. health() reports the failure until a commit succeeds.
//
// Thread-safety: thread-safe. Write and Read bodies run with the connection mutex held, one at a
// time; they must use the connection only and must not call back into this object.
#ifndef NASQ_STORAGE_SQLITE_GROUP_COMMIT_H_
#define NASQ_STORAGE_SQLITE_GROUP_COMMIT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/mutex.h"
#include "storage/sqlite_db.h"
#include "storage/storage.h"

namespace nasq {

class SqliteGroupCommit {
 public:
  // Makes every transaction committed so far durable (storage/sqlite_wal_file.h: fdatasync of
  // the WAL, for a connection with synchronous=NORMAL). Called after each COMMIT by the
  // committing waiter alone, without the connection lock.
  using SyncFunction = std::function<absl::Status()>;

  // `sync` empty: the COMMIT itself is durable (synchronous=FULL).
  explicit SqliteGroupCommit(std::unique_ptr<SqliteDb> db, SyncFunction sync = nullptr)
      : db_(std::move(db)), sync_(std::move(sync)) {}
  // Commits what is still pending (best effort: nobody is left to hear about a failure).
  ~SqliteGroupCommit();
  SqliteGroupCommit(const SqliteGroupCommit&) = delete;
  SqliteGroupCommit& operator=(const SqliteGroupCommit&) = delete;

  // The connection, for use inside Write and Read bodies only.
  SqliteDb& db() { return *db_; }

  // Runs `body` (returning Status or StatusOr) as one write: on success its changes are kept and
  // `*ticket` receives the commit they will be part of; on failure they are rolled back and
  // `*ticket` is untouched. Not durable until WaitDurable(*ticket).
  template <class Body>
  auto Write(CommitTicket* ticket, Body&& body) -> decltype(body()) {
    MutexLock lock(&db_mu_);
    if (absl::Status s = BeginWrite(); !s.ok()) return s;
    auto result = body();
    if (absl::Status s = EndWrite(StatusOf(result), ticket); !s.ok()) return s;
    return result;
  }

  // Write followed by WaitDurable: returns once the change is durable.
  template <class Body>
  auto WriteDurably(Body&& body) -> decltype(body()) {
    CommitTicket ticket = 0;
    auto result = Write(&ticket, std::forward<Body>(body));
    if (!StatusOf(result).ok()) return result;
    if (absl::Status s = WaitDurable(ticket); !s.ok()) return s;
    return result;
  }

  // Runs the read-only `body` on one consistent snapshot that includes every write so far.
  template <class Body>
  auto Read(Body&& body) -> decltype(body()) {
    MutexLock lock(&db_mu_);
    if (in_transaction_) return body();
    return db_->InTransaction(SqliteDb::TxKind::kRead, std::forward<Body>(body));
  }

  // Returns once every write with a ticket <= `ticket` is committed (see the file comment), or
  // the commit's error when the write was lost. `follower_grace` > 0: another caller is about
  // to write and wait; for that long, wait for a commit made by someone else before committing
  // (lets the follower's write join the commit).
  absl::Status WaitDurable(CommitTicket ticket,
                           std::chrono::microseconds follower_grace = std::chrono::microseconds(0));

  // How many transactions have been lost so far (failed commits and rollbacks by SQLite).
  int64_t failures() const { return failures_.load(); }
  // Accepts writes again after a loss (see the file comment). No effect otherwise.
  void ResumeWrites();
  // OK, or the error that lost the latest transaction until a later commit succeeds.
  absl::Status health();

 private:
  // Opens the write transaction if none is open, then a savepoint.
  absl::Status BeginWrite() ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  // Releases the savepoint (keeping the write) when `body_status` is OK, else rolls back to it.
  // When SQLite rolled the whole transaction back meanwhile, records the loss and returns its
  // error.
  absl::Status EndWrite(const absl::Status& body_status, CommitTicket* ticket)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  // Takes db_mu_ and commits the open transaction, if any, then syncs it (sync_) with db_mu_
  // released. Returns the ticket now durable, or the error of the commit or the sync (after
  // which the transaction is recorded as lost).
  absl::StatusOr<CommitTicket> CommitOpenTransaction() ABSL_LOCKS_EXCLUDED(db_mu_);
  // The sync of `ticket`'s transaction failed with `error`: refuses writes and records the
  // ticket as lost (LoseOpenTransaction for a transaction already committed).
  void LoseCommittedTransaction(CommitTicket ticket, const absl::Status& error)
      ABSL_LOCKS_EXCLUDED(db_mu_);
  // Records `ticket` as lost with `error` and wakes the waiters.
  void RecordLoss(CommitTicket ticket, const absl::Status& error) ABSL_LOCKS_EXCLUDED(sync_mu_);
  // The open transaction is gone (its COMMIT failed with `error`, or SQLite rolled it back after
  // `error`): rolls back what is left, refuses writes, and records its ticket as lost.
  void LoseOpenTransaction(const absl::Status& error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  // The error that lost `ticket`, or OK when it was not lost.
  absl::Status LostError(CommitTicket ticket) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_);

  Mutex db_mu_;  // taken before sync_mu_, never after
  // The connection; used with db_mu_ held only (the pointer itself never changes).
  const std::unique_ptr<SqliteDb> db_;
  const SyncFunction sync_;
  // A write transaction is open with uncommitted writes.
  bool in_transaction_ ABSL_GUARDED_BY(db_mu_) = false;
  // The open (else the latest) transaction's ticket.
  CommitTicket open_ticket_ ABSL_GUARDED_BY(db_mu_) = 0;
  // The latest committed transaction's ticket.
  CommitTicket committed_ticket_ ABSL_GUARDED_BY(db_mu_) = 0;
  // The latest loss, until ResumeWrites; refuses writes.
  absl::Status failure_ ABSL_GUARDED_BY(db_mu_);
  std::atomic<int64_t> failures_{0};

  mutable Mutex sync_mu_;
  CondVar sync_cv_;
  // Every ticket <= this is committed or lost.
  CommitTicket durable_ ABSL_GUARDED_BY(sync_mu_) = 0;
  // A waiter is committing (the others wait for it).
  bool committing_ ABSL_GUARDED_BY(sync_mu_) = false;
  // The lost transactions' tickets (increasing) with their errors; one entry per loss, kept so
  // that a late waiter on a lost ticket never reads success.
  std::vector<std::pair<CommitTicket, absl::Status>> lost_ ABSL_GUARDED_BY(sync_mu_);
  absl::Status health_ ABSL_GUARDED_BY(sync_mu_);  // see health()
};

}  // namespace nasq

#endif  // NASQ_STORAGE_SQLITE_GROUP_COMMIT_H_
