// spec/spec_docs_main.cc: nasq_spec_docs FILE rewrites the generated option tables of FILE
// (docs/study-spec.md) from the field descriptions (spec/spec_docs.h).
#include <iostream>

#include "spec/spec_docs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: nasq_spec_docs docs/study-spec.md\n";
    return 2;
  }
  const absl::Status status = nasq::RewriteFile(argv[1], nasq::UpdateStudyOptionTables);
  if (!status.ok()) std::cerr << status.message() << "\n";
  return status.ok() ? 0 : 1;
}
