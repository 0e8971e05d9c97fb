// task/task_docs_main.cc: nasq_task_docs FILE rewrites the generated field tables of FILE
// (docs/task-spec.md) from the task schema's field descriptions (task/task_docs.h).
#include <iostream>

#include "spec/spec_docs.h"
#include "task/task_docs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: nasq_task_docs docs/task-spec.md\n";
    return 2;
  }
  const absl::Status status = nasq::RewriteFile(argv[1], nasq::UpdateTaskFieldTables);
  if (!status.ok()) std::cerr << status.message() << "\n";
  return status.ok() ? 0 : 1;
}
