// spec/spec_docs_main.cc: nasq_spec_docs FILE rewrites the generated option tables of FILE
// (docs/study-spec.md) from the field descriptions (spec/spec_docs.h).
#include <fstream>
#include <iostream>
#include <sstream>

#include "spec/spec_docs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: nasq_spec_docs docs/study-spec.md\n";
    return 2;
  }
  std::stringstream text;
  {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
      std::cerr << argv[1] << ": cannot read file\n";
      return 1;
    }
    text << in.rdbuf();
  }
  absl::StatusOr<std::string> updated = nasq::UpdateStudyOptionTables(text.str());
  if (!updated.ok()) {
    std::cerr << argv[1] << ": " << updated.status().message() << "\n";
    return 1;
  }
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out << *updated;
  return out.good() ? 0 : 1;
}
