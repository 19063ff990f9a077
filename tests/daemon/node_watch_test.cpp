// node_watcher on a real node database (fixtures) and a real inotify: every
// wait is bounded by run_until, and the interval is set far beyond that
// bound wherever a completion must come from something else.

#include "daemon/node_watch.hpp"
#include "fixtures.hpp"

#include <asio/co_spawn.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <system_error>

namespace {

using namespace std::chrono_literals;
using swpt::node_type;
using swpt::daemon::node_watcher;
using swpt::fixtures::network;
using swpt::fixtures::node;
using swpt::fixtures::temp_dir;
using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr auto never = 60s;   // an interval no test waits for
constexpr auto bound = 10s;   // the longest any test waits

// Runs `io` until `done()` or `limit`; whether done.
bool run_until(asio::io_context& io, const std::function<bool()>& done, clock_type::duration limit = bound) {
  const auto deadline = clock_type::now() + limit;
  while (!done() && clock_type::now() < deadline) {
    if (io.stopped()) io.restart();  // it ran out of work before: more may have come since
    io.run_one_until(deadline);
  }
  return done();
}

// One due() started on `io`, and how it ended.
struct waiting {
  bool done = false;
  std::exception_ptr error;
  clock_type::time_point started = clock_type::now(), ended;

  waiting(asio::io_context& io, node_watcher& watcher) {
    asio::co_spawn(io, watcher.due(), [this](std::exception_ptr e) {
      done = true;
      error = e;
      ended = clock_type::now();
    });
  }
  bool ok() const { return done && !error; }
  bool aborted() const {
    if (!done || !error) return false;
    try {
      std::rethrow_exception(error);
    } catch (const std::system_error& e) {
      return e.code() == asio::error::operation_aborted;
    } catch (...) {
    }
    return false;
  }
};

void touch(const fs::path& file) { std::ofstream{file, std::ios::app}; }

struct aa_and_ca {
  temp_dir tmp{"swpt-watch"};
  network net{tmp.path()};
  node& aa = net.add_node("aa", node_type::accounting_authority, 2001, "1234abcd");
  node& ca = net.add_node("ca", node_type::creditors_agent, 2002);
  aa_and_ca() { net.make_peers(aa, ca); }
};

}  // namespace

TEST_CASE("watch: a file created in a watched peer directory makes a scan due early", "[watch]") {
  aa_and_ca t;
  asio::io_context io;
  node_watcher watcher{io.get_executor(), t.aa.dir, never};
  watcher.watch_peers({t.ca.id});

  waiting first{io, watcher};
  asio::post(io, [&] { t.net.activate(t.aa, t.ca); });
  REQUIRE(run_until(io, [&] { return first.done; }));
  CHECK(first.ok());

  // And again, for a file in nodeinfo/ (the peer's server moved).
  waiting second{io, watcher};
  asio::post(io, [&] { t.net.set_port(t.ca, 2102); });
  REQUIRE(run_until(io, [&] { return second.done; }));
  CHECK(second.ok());
}

TEST_CASE("watch: a burst of writes makes one scan", "[watch]") {
  aa_and_ca t;
  asio::io_context io;
  node_watcher watcher{io.get_executor(), t.aa.dir, never};
  watcher.watch_peers({t.ca.id});
  const fs::path dir = t.net.peer_dir(t.aa, t.ca);

  waiting first{io, watcher};
  asio::post(io, [&] {
    for (int i = 0; i < 20; ++i) touch(dir / ("file-" + std::to_string(i)));
  });
  REQUIRE(run_until(io, [&] { return first.done; }));
  CHECK(first.ok());

  // Every event of the burst was read before the first scan was due: none
  // is left to make another one.
  waiting second{io, watcher};
  CHECK_FALSE(run_until(io, [&] { return second.done; }, 300ms));
  watcher.close();
  REQUIRE(run_until(io, [&] { return second.done; }));
  CHECK(second.aborted());
}

TEST_CASE("watch: a directory that appears in peers/ is watched before any scan", "[watch]") {
  aa_and_ca t;
  asio::io_context io;
  node_watcher watcher{io.get_executor(), t.aa.dir, never};
  watcher.watch_peers({});  // nothing registered as far as the scans know
  const fs::path fresh = t.aa.dir / "peers" / "0123abcd";

  waiting first{io, watcher};
  asio::post(io, [&] { fs::create_directory(fresh); });
  REQUIRE(run_until(io, [&] { return first.done; }));
  CHECK(first.ok());

  // The scan found no sub-ca.crt there, so the caller still names no peer;
  // a file written into the new directory is seen all the same.
  watcher.watch_peers({});
  waiting second{io, watcher};
  asio::post(io, [&] { touch(fresh / "sub-ca.crt"); });
  REQUIRE(run_until(io, [&] { return second.done; }));
  CHECK(second.ok());

  // So is its nodeinfo/, created afterwards.
  waiting third{io, watcher};
  asio::post(io, [&] { fs::create_directory(fresh / "nodeinfo"); });
  REQUIRE(run_until(io, [&] { return third.done; }));
  waiting fourth{io, watcher};
  asio::post(io, [&] { touch(fresh / "nodeinfo" / "stomp.toml"); });
  REQUIRE(run_until(io, [&] { return fourth.done; }));
  CHECK(fourth.ok());
}

TEST_CASE("watch: a peer directory replaced by a rename is watched anew", "[watch]") {
  aa_and_ca t;
  asio::io_context io;
  node_watcher watcher{io.get_executor(), t.aa.dir, never};
  watcher.watch_peers({t.ca.id});
  const fs::path dir = t.net.peer_dir(t.aa, t.ca);
  const fs::path copy = t.tmp.path() / "copy";

  fs::copy(dir, copy, fs::copy_options::recursive);
  waiting first{io, watcher};
  asio::post(io, [&] {
    fs::rename(dir, t.tmp.path() / "old");
    fs::rename(copy, dir);
  });
  REQUIRE(run_until(io, [&] { return first.done; }));
  watcher.watch_peers({t.ca.id});  // what the daemon does after the scan

  waiting second{io, watcher};
  asio::post(io, [&] { touch(dir / "nodeinfo" / "updated-at.txt"); });
  REQUIRE(run_until(io, [&] { return second.done; }));
  CHECK(second.ok());
}

TEST_CASE("watch: rescan() makes a scan due at once", "[watch]") {
  aa_and_ca t;
  asio::io_context io;
  node_watcher watcher{io.get_executor(), t.aa.dir, never};

  waiting w{io, watcher};
  asio::post(io, [&] { watcher.rescan(); });
  REQUIRE(run_until(io, [&] { return w.done; }));
  CHECK(w.ok());

  watcher.rescan();  // before the wait: the next due() completes at once
  waiting again{io, watcher};
  REQUIRE(run_until(io, [&] { return again.done; }));
  CHECK(again.ok());
}

TEST_CASE("watch: the interval makes a scan due without any change", "[watch]") {
  aa_and_ca t;
  asio::io_context io;
  constexpr auto interval = 100ms;
  node_watcher watcher{io.get_executor(), t.aa.dir, interval};

  for (int i = 0; i < 3; ++i) {
    waiting w{io, watcher};
    REQUIRE(run_until(io, [&] { return w.done; }));
    CHECK(w.ok());
    CHECK(w.ended - w.started >= interval - 5ms);  // the previous completion was about when this started
  }
}

TEST_CASE("watch: close() ends a waiting due() with operation_aborted", "[watch]") {
  aa_and_ca t;
  asio::io_context io;
  node_watcher watcher{io.get_executor(), t.aa.dir, never};

  waiting w{io, watcher};
  asio::post(io, [&] { watcher.close(); });
  REQUIRE(run_until(io, [&] { return w.done; }));
  CHECK(w.aborted());

  waiting after{io, watcher};  // and any later one at once
  REQUIRE(run_until(io, [&] { return after.done; }));
  CHECK(after.aborted());
  watcher.rescan();            // harmless once closed
  watcher.watch_peers({t.ca.id});
}

TEST_CASE("watch: destroying the watcher ends a waiting due()", "[watch]") {
  aa_and_ca t;
  asio::io_context io;
  auto watcher = std::make_unique<node_watcher>(io.get_executor(), t.aa.dir, never);

  waiting w{io, *watcher};
  asio::post(io, [&] { watcher.reset(); });
  REQUIRE(run_until(io, [&] { return w.done; }));
  CHECK(w.aborted());
}
