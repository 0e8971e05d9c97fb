// storage/sqlite_group_commit.cc: see sqlite_group_commit.h.
#include "storage/sqlite_group_commit.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace nasq {

SqliteGroupCommit::~SqliteGroupCommit() { CommitOpenTransaction().IgnoreError(); }

absl::Status SqliteGroupCommit::BeginWrite() {
  if (!failure_.ok()) {
    return absl::Status(failure_.code(),
                        absl::StrCat("writes refused since a commit failed: ", failure_.message()));
  }
  if (in_transaction_ && !db_->IsInTransaction()) {
    LoseOpenTransaction(absl::UnavailableError("SQLite rolled the transaction back"));
    return failure_;
  }
  if (!in_transaction_) {
    NASQ_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
    in_transaction_ = true;
    ++open_ticket_;
  }
  return db_->Exec("SAVEPOINT write");
}

absl::Status SqliteGroupCommit::EndWrite(const absl::Status& body_status, CommitTicket* ticket) {
  absl::Status status = body_status.ok() ? db_->Exec("RELEASE write")
                                         // Keeps the transaction (and the other writes in it).
                                         : db_->Exec("ROLLBACK TO write; RELEASE write");
  if (!db_->IsInTransaction()) {
    // SQLite rolled the transaction back after an I/O error or a full disk: the other writes
    // in it are gone too.
    const absl::Status& cause = body_status.ok() ? status : body_status;
    LoseOpenTransaction(cause.ok() ? absl::UnavailableError("SQLite rolled the transaction back")
                                   : cause);
    return failure_;
  }
  if (body_status.ok() && status.ok()) *ticket = open_ticket_;
  return status;
}

void SqliteGroupCommit::LoseOpenTransaction(const absl::Status& error) {
  if (db_->IsInTransaction()) db_->Exec("ROLLBACK").IgnoreError();
  in_transaction_ = false;
  failure_ = error;
  RecordLoss(open_ticket_,
             absl::Status(error.code(), absl::StrCat("the change was lost, its commit failed: ",
                                                     error.message())));
}

void SqliteGroupCommit::LoseCommittedTransaction(CommitTicket ticket, const absl::Status& error) {
  {
    MutexLock lock(&db_mu_);
    failure_ = error;
  }
  RecordLoss(ticket, absl::Status(error.code(),
                                  absl::StrCat("the change may be lost: it was committed, but "
                                               "syncing the commit to disk failed: ",
                                               error.message())));
}

void SqliteGroupCommit::RecordLoss(CommitTicket ticket, const absl::Status& error) {
  failures_.fetch_add(1);
  MutexLock lock(&sync_mu_);
  lost_.emplace_back(ticket, error);
  durable_ = std::max(durable_, ticket);
  health_ = error;
  sync_cv_.SignalAll();
}

absl::StatusOr<CommitTicket> SqliteGroupCommit::CommitOpenTransaction() {
  CommitTicket committed = 0;
  {
    MutexLock lock(&db_mu_);
    if (!in_transaction_) return committed_ticket_;
    if (absl::Status s = db_->Exec("COMMIT"); !s.ok()) {
      LoseOpenTransaction(s);
      return s;
    }
    in_transaction_ = false;
    committed = committed_ticket_ = open_ticket_;
  }
  // Without db_mu_: the next transaction's writes go on while the disk flushes this one.
  if (sync_) {
    if (absl::Status s = sync_(); !s.ok()) {
      LoseCommittedTransaction(committed, s);
      return s;
    }
  }
  MutexLock sync_lock(&sync_mu_);
  health_ = absl::OkStatus();
  return committed;
}

void SqliteGroupCommit::ResumeWrites() {
  MutexLock lock(&db_mu_);
  failure_ = absl::OkStatus();
}

absl::Status SqliteGroupCommit::health() {
  MutexLock lock(&sync_mu_);
  return health_;
}

absl::Status SqliteGroupCommit::LostError(CommitTicket ticket) const {
  auto it = std::lower_bound(lost_.begin(), lost_.end(), ticket,
                             [](const auto& lost, CommitTicket t) { return lost.first < t; });
  if (it == lost_.end() || it->first != ticket) return absl::OkStatus();
  return it->second;
}

absl::Status SqliteGroupCommit::WaitDurable(CommitTicket ticket,
                                            std::chrono::microseconds follower_grace) {
  const auto grace_end = std::chrono::steady_clock::now() + follower_grace;
  MutexLock lock(&sync_mu_);
  while (durable_ < ticket) {
    if (committing_) {
      sync_cv_.Wait(&sync_mu_);
      continue;
    }
    if (std::chrono::steady_clock::now() < grace_end) {
      sync_cv_.WaitUntil(&sync_mu_, grace_end);  // woken by any commit's end
      continue;
    }
    // Become the committer: the open transaction holds this ticket's write and every write
    // made so far by other callers.
    committing_ = true;
    lock.Unlock();
    absl::StatusOr<CommitTicket> committed = CommitOpenTransaction();
    lock.Lock();
    committing_ = false;
    if (committed.ok()) durable_ = std::max(durable_, *committed);
    sync_cv_.SignalAll();
  }
  return LostError(ticket);
}

}  // namespace nasq
