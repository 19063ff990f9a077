// The cost of the daemon's periodic scan of a node database (the idle
// daemon's main work): `scan_bench DIR [SCANS]` scans DIR once, then SCANS
// more times (default 20) with nothing changed, and prints the median
// wall-clock and CPU time of one scan. DIR may be a node database that
// bench/daemon kept (--keep): WORK/nodes/a has 1,000 active peers.

#include "daemon/node_scan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

namespace {

double cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double median(std::vector<double> v) {
  std::ranges::sort(v);
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: scan_bench NODE_DATABASE_DIR [SCANS]\n");
    return 2;
  }
  const int scans = argc > 2 ? std::stoi(argv[2]) : 20;
  swpt::daemon::node_scanner scanner{argv[1]};
  const auto first = scanner.scan();
  std::vector<double> wall, cpu;
  for (int i = 0; i < scans; ++i) {
    const auto t = std::chrono::steady_clock::now();
    const double c = cpu_seconds();
    const auto view = scanner.scan();
    cpu.push_back(cpu_seconds() - c);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  fmt::print("{} peers, {} parses; one scan of unchanged files: median {:.2f} ms wall, {:.2f} ms CPU\n",
             first.peers.size(), scanner.parses(), median(wall) * 1e3, median(cpu) * 1e3);
  return 0;
}
