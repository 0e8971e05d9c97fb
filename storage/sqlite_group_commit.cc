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
                        absl::StrCat("writes refused since a commit failed (reopen the database): ",
                                     failure_.message()));
  }
  if (!in_transaction_) {
    NASQ_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
    in_transaction_ = true;
    ++open_ticket_;
  }
  return db_->Exec("SAVEPOINT write");
}

absl::Status SqliteGroupCommit::EndWrite(bool keep, CommitTicket* ticket) {
  if (keep) {
    NASQ_RETURN_IF_ERROR(db_->Exec("RELEASE write"));
    *ticket = open_ticket_;
    return absl::OkStatus();
  }
  // Rolling back to the savepoint keeps the transaction (and the other writes in it) open.
  return db_->Exec("ROLLBACK TO write; RELEASE write");
}

absl::StatusOr<CommitTicket> SqliteGroupCommit::CommitOpenTransaction() {
  std::lock_guard<std::mutex> lock(db_mu_);
  if (!failure_.ok()) return failure_;
  if (!in_transaction_) return open_ticket_;
  in_transaction_ = false;
  if (absl::Status s = db_->Exec("COMMIT"); !s.ok()) {
    db_->Exec("ROLLBACK").IgnoreError();  // may already be rolled back by SQLite
    failure_ = s;
    return s;
  }
  return open_ticket_;
}

absl::Status SqliteGroupCommit::WaitDurable(CommitTicket ticket,
                                            std::chrono::microseconds follower_grace) {
  const auto grace_end = std::chrono::steady_clock::now() + follower_grace;
  std::unique_lock<std::mutex> lock(sync_mu_);
  while (durable_ < ticket) {
    if (!sync_failure_.ok()) return sync_failure_;
    if (committing_) {
      sync_cv_.wait(lock);
      continue;
    }
    if (std::chrono::steady_clock::now() < grace_end) {
      sync_cv_.wait_until(lock, grace_end);  // woken by any commit's end
      continue;
    }
    // Become the committer: the open transaction holds this ticket's write and every write
    // made so far by other callers.
    committing_ = true;
    lock.unlock();
    absl::StatusOr<CommitTicket> committed = CommitOpenTransaction();
    lock.lock();
    committing_ = false;
    if (committed.ok()) {
      durable_ = std::max(durable_, *committed);
    } else {
      sync_failure_ = committed.status();
    }
    sync_cv_.notify_all();
  }
  return absl::OkStatus();
}

}  // namespace nasq
