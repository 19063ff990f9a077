// node_scanner and mark_active against node databases made by the fixtures
// (real certificates), changed the way scripts and operators change them.

#include "daemon/node_scan.hpp"
#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace {

using namespace swpt::daemon;
using swpt::node_type;
using swpt::fixtures::network;
using swpt::fixtures::node;
using swpt::fixtures::temp_dir;
namespace fs = std::filesystem;

// A new file each time (temporary name, then rename), as the scripts write:
// a new inode, so even a rewrite of the same size within one tick of the
// file system's clock shows in the stat data.
void put(const fs::path& file, std::string_view content) {
  const fs::path tmp = file.parent_path() / (".put-" + file.filename().string());
  {
    std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
    out << content;
    REQUIRE(out);
  }
  fs::rename(tmp, file);
}

std::string slurp(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  REQUIRE(in);
  return {std::istreambuf_iterator<char>{in}, {}};
}

// An AA with a CA and a DA peer; nothing ACTIVE yet.
struct aa_with_peers {
  temp_dir tmp{"swpt-scan"};
  network net{tmp.path()};
  node& aa = net.add_node("aa", node_type::accounting_authority, 2001, "1234abcd");
  node& ca = net.add_node("ca", node_type::creditors_agent, 2002);
  node& da = net.add_node("da", node_type::debtors_agent, 2003);

  aa_with_peers() {
    net.make_peers(aa, ca);
    net.make_peers(aa, da);
  }
  fs::path dir(const node& peer) const { return net.peer_dir(aa, peer); }
};

const peer_view& view_of(const node_view& v, const node& peer) {
  const auto it = v.peers.find(peer.id);
  REQUIRE(it != v.peers.end());
  return it->second;
}

}  // namespace

TEST_CASE("scan: the owner and each peer's condition", "[scan]") {
  aa_with_peers t;
  node_scanner scanner{t.aa.dir};
  CHECK(scanner.root() == t.aa.dir);

  auto v = scanner.scan();
  CHECK(v.owner.node_id == "1234abcd");
  CHECK(v.owner.type == node_type::accounting_authority);
  REQUIRE(v.peers.size() == 2);
  for (const node* peer : {&t.ca, &t.da}) {
    const auto& p = view_of(v, *peer);
    CHECK(p.id == peer->id);
    CHECK(p.condition == peer_condition::registered);
    CHECK_FALSE(p.data);
  }
  CHECK(scanner.parses() == 0);  // a registered peer is not read

  t.net.activate(t.aa, t.ca);
  t.net.activate(t.aa, t.da);
  t.net.deactivate(t.aa, t.da);  // DEACTIVATED wins over ACTIVE
  v = scanner.scan();
  const auto& ca = view_of(v, t.ca);
  CHECK(ca.condition == peer_condition::active);
  REQUIRE(ca.data);
  CHECK(ca.data->node_id == t.ca.id);
  CHECK(ca.data->type == node_type::creditors_agent);
  CHECK(ca.data->manifest.servers.size() == 1);
  CHECK(ca.queues == 1);
  CHECK(ca.error.empty());
  const auto& da = view_of(v, t.da);
  CHECK(da.condition == peer_condition::deactivated);
  REQUIRE(da.data);
  CHECK(da.data->state == swpt::nodedata::peer_state::deactivated);
  CHECK(scanner.parses() == 2);

  // Directories that are no peers: no sub-ca.crt yet, a name of another shape.
  fs::create_directories(t.aa.dir / "peers" / "0123abcd" / "nodeinfo");
  put(t.aa.dir / "peers" / "0123abcd" / "ACTIVE", "");
  fs::create_directories(t.aa.dir / "peers" / ".tmp-0123");
  put(t.aa.dir / "peers" / ".tmp-0123" / "sub-ca.crt", slurp(t.dir(t.ca) / "sub-ca.crt"));
  CHECK(scanner.scan().peers.size() == 2);

  t.net.remove_peer(t.aa, t.ca);
  v = scanner.scan();
  CHECK(v.peers.size() == 1);
  CHECK(v.peers.contains(t.da.id));
}

TEST_CASE("scan: a peer whose files do not parse is broken, naming the file, until fixed", "[scan]") {
  aa_with_peers t;
  t.net.activate(t.aa, t.ca);
  t.net.activate(t.aa, t.da);
  node_scanner scanner{t.aa.dir};
  const fs::path manifest = t.dir(t.ca) / "nodeinfo" / "stomp.toml";
  const std::string good = slurp(manifest);

  put(manifest, "servers = 1\n");
  auto v = scanner.scan();
  const auto& broken = view_of(v, t.ca);
  CHECK(broken.condition == peer_condition::broken);
  CHECK_FALSE(broken.data);
  CHECK_THAT(broken.error, Catch::Contains(manifest.string()));
  CHECK(view_of(v, t.da).condition == peer_condition::active);  // the others are untouched

  // Broken peers are read at every scan: a passing error records nothing.
  const auto before = scanner.parses();
  CHECK(view_of(scanner.scan(), t.ca).condition == peer_condition::broken);
  CHECK(scanner.parses() == before + 1);

  put(manifest, good);
  v = scanner.scan();
  CHECK(view_of(v, t.ca).condition == peer_condition::active);
  CHECK(view_of(v, t.ca).error.empty());

  // A missing file, and a deactivated peer's broken file.
  fs::remove(t.dir(t.ca) / "root-ca.crt");
  t.net.deactivate(t.aa, t.da);
  put(t.dir(t.da) / "nodetype.txt", "Debtors Agent\n");
  v = scanner.scan();
  CHECK(view_of(v, t.ca).condition == peer_condition::broken);
  CHECK_THAT(view_of(v, t.ca).error, Catch::Contains((t.dir(t.ca) / "root-ca.crt").string()));
  CHECK(view_of(v, t.da).condition == peer_condition::broken);
  CHECK_THAT(view_of(v, t.da).error, Catch::Contains((t.dir(t.da) / "nodetype.txt").string()));

  // A registered peer is not read, so its bad files do not matter yet.
  t.net.reset_activation(t.aa, t.da);
  CHECK(view_of(scanner.scan(), t.da).condition == peer_condition::registered);
}

TEST_CASE("scan: queues.txt", "[scan]") {
  aa_with_peers t;
  t.net.activate(t.aa, t.ca);
  node_scanner scanner{t.aa.dir};
  const fs::path file = t.dir(t.ca) / "queues.txt";

  CHECK(view_of(scanner.scan(), t.ca).queues == 1);  // the scripts write "1\n"
  fs::remove(file);
  CHECK(view_of(scanner.scan(), t.ca).queues == 1);

  const std::vector<std::pair<std::string, int>> good{
      {"3", 3}, {"3\n", 3}, {" 42 \r\n", 42}, {"\t99\n\n", 99}, {"1", 1}, {"07", 7}};
  for (const auto& [text, count] : good) {
    INFO(text);
    put(file, text);
    const auto v = scanner.scan();
    CHECK(view_of(v, t.ca).condition == peer_condition::active);
    CHECK(view_of(v, t.ca).queues == count);
  }
  for (const std::string text :
       {"0", "100", "", "\n", "abc", "3x", "+3", "-1", "3 4", "0x3", "99999999999999999999"}) {
    INFO(text);
    put(file, text);
    const auto v = scanner.scan();
    CHECK(view_of(v, t.ca).condition == peer_condition::broken);
    CHECK_THAT(view_of(v, t.ca).error, Catch::Contains(file.string()) && Catch::Contains("1 to 99"));
  }
  put(file, "2\n");
  CHECK(view_of(scanner.scan(), t.ca).queues == 2);
}

TEST_CASE("scan: unchanged peers are not read again; files_version follows the clients' files", "[scan]") {
  aa_with_peers t;
  t.net.activate(t.aa, t.ca);
  t.net.activate(t.aa, t.da);
  node_scanner scanner{t.aa.dir};

  auto v = scanner.scan();
  CHECK(scanner.parses() == 2);
  const auto ca_version = view_of(v, t.ca).files_version;
  const auto da_version = view_of(v, t.da).files_version;
  CHECK(ca_version != da_version);
  for (int i = 0; i < 3; ++i) {
    v = scanner.scan();
    CHECK(view_of(v, t.ca).condition == peer_condition::active);
    CHECK(view_of(v, t.ca).files_version == ca_version);
  }
  CHECK(scanner.parses() == 2);

  // Files that are not read change nothing.
  put(t.dir(t.ca) / "kustomization.yaml", "resources: []\n");
  put(t.dir(t.ca) / "peercert.crt", "renewed\n");
  scanner.scan();
  CHECK(scanner.parses() == 2);

  // queues.txt, ACTIVE, DEACTIVATED: read again, same version.
  put(t.dir(t.ca) / "queues.txt", "3\n");
  v = scanner.scan();
  CHECK(scanner.parses() == 3);
  CHECK(view_of(v, t.ca).queues == 3);
  CHECK(view_of(v, t.ca).files_version == ca_version);
  t.net.reset_activation(t.aa, t.ca);
  v = scanner.scan();
  CHECK(view_of(v, t.ca).condition == peer_condition::registered);
  CHECK(view_of(v, t.ca).files_version == ca_version);
  t.net.activate(t.aa, t.ca);
  v = scanner.scan();
  CHECK(view_of(v, t.ca).condition == peer_condition::active);
  CHECK(view_of(v, t.ca).files_version == ca_version);
  CHECK(scanner.parses() == 4);

  // stomp.toml (the peer's server moved): a new version, for this peer only.
  t.net.set_port(t.ca, 2102);
  v = scanner.scan();
  CHECK(scanner.parses() == 5);
  const auto moved_version = view_of(v, t.ca).files_version;
  CHECK(moved_version != ca_version);
  REQUIRE(view_of(v, t.ca).data);
  CHECK(view_of(v, t.ca).data->manifest.servers.front().port == 2102);
  CHECK(view_of(v, t.da).files_version == da_version);

  // nodeinfo/updated-at.txt and a certificate count too.
  put(t.dir(t.ca) / "nodeinfo" / "updated-at.txt", "2030-01-01\n");
  v = scanner.scan();
  CHECK(view_of(v, t.ca).files_version != moved_version);
  const auto dated_version = view_of(v, t.ca).files_version;
  put(t.dir(t.ca) / "sub-ca.crt", slurp(t.dir(t.ca) / "sub-ca.crt"));
  CHECK(view_of(scanner.scan(), t.ca).files_version != dated_version);
  CHECK(scanner.parses() == 7);
}

// A file rewritten in place, as on NFS by another machine: same inode,
// same size, the directories' times as they were (a rewrite changes no
// directory). Only the file's own stat data shows it. Times are set
// explicitly (utimensat), so nothing depends on the clock's resolution.
TEST_CASE("scan: a file rewritten in place is seen though no directory changed", "[scan]") {
  aa_with_peers t;
  t.net.activate(t.aa, t.ca);
  node_scanner scanner{t.aa.dir};
  auto v = scanner.scan();
  const auto version = view_of(v, t.ca).files_version;
  REQUIRE(scanner.parses() == 1);

  const auto times_of = [](const fs::path& p) {
    struct stat info {};
    REQUIRE(::stat(p.c_str(), &info) == 0);
    return std::array<timespec, 2>{info.st_atim, info.st_mtim};
  };
  const auto rewrite_in_place = [&](const fs::path& file, const fs::path& dir, std::int64_t seconds) {
    const auto dir_times = times_of(dir);
    const std::string content = slurp(file);
    struct stat before {};
    REQUIRE(::stat(file.c_str(), &before) == 0);
    {
      std::fstream out{file, std::ios::binary | std::ios::in | std::ios::out};  // no O_TRUNC, same inode
      out << content;
      REQUIRE(out);
    }
    const std::array<timespec, 2> file_times{timespec{seconds, 0}, timespec{seconds, 0}};
    REQUIRE(::utimensat(AT_FDCWD, file.c_str(), file_times.data(), 0) == 0);
    REQUIRE(::utimensat(AT_FDCWD, dir.c_str(), dir_times.data(), 0) == 0);
    struct stat after {};
    REQUIRE(::stat(file.c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino);
    CHECK(after.st_size == before.st_size);
  };

  rewrite_in_place(t.dir(t.ca) / "nodeinfo" / "stomp.toml", t.dir(t.ca) / "nodeinfo", 1'000'000'000);
  v = scanner.scan();
  CHECK(scanner.parses() == 2);
  const auto rewritten = view_of(v, t.ca).files_version;
  CHECK(rewritten != version);

  rewrite_in_place(t.dir(t.ca) / "root-ca.crt", t.dir(t.ca), 1'100'000'000);
  v = scanner.scan();
  CHECK(scanner.parses() == 3);
  CHECK(view_of(v, t.ca).files_version != rewritten);

  scanner.scan();  // and nothing more after that
  CHECK(scanner.parses() == 3);
}

TEST_CASE("scan: a change of the owner's files reads every peer again, with new versions", "[scan]") {
  temp_dir tmp{"swpt-scan"};
  network net{tmp.path()};
  node& aa = net.add_node("aa", node_type::accounting_authority, 2001, "1234abcd");
  node& ca = net.add_node("ca", node_type::creditors_agent, 2002);
  net.make_peers(aa, ca);
  net.activate(ca, aa);
  node_scanner scanner{ca.dir};

  auto v = scanner.scan();
  const auto version = view_of(v, aa).files_version;
  CHECK(scanner.parses() == 1);
  net.set_creditors_subnet(ca, "000009");
  v = scanner.scan();
  CHECK(scanner.parses() == 2);
  CHECK(view_of(v, aa).condition == peer_condition::active);
  CHECK(view_of(v, aa).files_version != version);
  CHECK(v.owner.creditors == *swpt::subnet::parse("000009"));
}

TEST_CASE("scan: a directory written file by file is not active before ACTIVE", "[scan]") {
  aa_with_peers t;
  t.net.activate(t.aa, t.ca);
  const fs::path dir = t.dir(t.ca);
  const fs::path aside = t.tmp.path() / "aside";
  fs::rename(dir, aside);
  node_scanner scanner{t.aa.dir};
  CHECK_FALSE(scanner.scan().peers.contains(t.ca.id));

  SECTION("in the scripts' order, ACTIVE last") {
    const std::vector<std::string> order{"nodeinfo/stomp.toml", "nodeinfo/updated-at.txt", "root-ca.crt",
                                         "nodetype.txt",        "queues.txt",              "peercert.crt",
                                         "subnet.txt",          "sub-ca.crt",              "ACTIVE"};
    fs::create_directories(dir / "nodeinfo");
    bool registered = false;
    for (const auto& file : order) {
      INFO(file);
      put(dir / file, slurp(aside / file));
      registered = registered || file == "sub-ca.crt";
      const auto v = scanner.scan();
      CHECK(v.peers.contains(t.ca.id) == registered);
      if (registered) CHECK((view_of(v, t.ca).condition == peer_condition::active) == (file == "ACTIVE"));
    }
    CHECK(scanner.parses() == 1);  // only once complete
  }

  SECTION("ACTIVE and sub-ca.crt first: broken until every file parses") {
    const std::vector<std::string> order{"ACTIVE",       "sub-ca.crt",  "queues.txt",
                                         "peercert.crt", "nodeinfo/updated-at.txt", "subnet.txt",
                                         "nodetype.txt", "root-ca.crt", "nodeinfo/stomp.toml"};
    fs::create_directories(dir / "nodeinfo");
    for (const auto& file : order) {
      INFO(file);
      put(dir / file, slurp(aside / file));
      const auto v = scanner.scan();
      if (!v.peers.contains(t.ca.id)) continue;
      CHECK((view_of(v, t.ca).condition == peer_condition::active) == (file == order.back()));
    }
    CHECK(view_of(scanner.scan(), t.ca).condition == peer_condition::active);
  }

  SECTION("renamed in whole: active in the first scan that sees it") {
    fs::rename(aside, dir);
    const auto v = scanner.scan();
    CHECK(view_of(v, t.ca).condition == peer_condition::active);
    CHECK(scanner.parses() == 1);
  }
}

TEST_CASE("scan: no owner files or no peers/ throw database_error", "[scan]") {
  aa_with_peers t;
  node_scanner scanner{t.aa.dir};
  fs::rename(t.aa.dir / "peers", t.aa.dir / "peers-aside");
  CHECK_THROWS_AS(scanner.scan(), swpt::nodedata::database_error);
  fs::rename(t.aa.dir / "peers-aside", t.aa.dir / "peers");
  fs::remove(t.aa.dir / "db" / "nodeid");
  CHECK_THROWS_AS(scanner.scan(), swpt::nodedata::database_error);
}

TEST_CASE("mark_active creates ACTIVE atomically and idempotently", "[scan]") {
  aa_with_peers t;
  node_scanner scanner{t.aa.dir};
  CHECK(view_of(scanner.scan(), t.ca).condition == peer_condition::registered);

  mark_active(t.aa.dir, t.ca.id);
  CHECK(fs::is_regular_file(t.dir(t.ca) / "ACTIVE"));
  CHECK(view_of(scanner.scan(), t.ca).condition == peer_condition::active);
  mark_active(t.aa.dir, t.ca.id);  // again: nothing changes
  CHECK(fs::is_regular_file(t.dir(t.ca) / "ACTIVE"));
  CHECK(view_of(scanner.scan(), t.ca).condition == peer_condition::active);
  CHECK(view_of(scanner.scan(), t.da).condition == peer_condition::registered);

  const auto fails_with = [&](std::string_view id, std::errc expected) {
    try {
      mark_active(t.aa.dir, id);
      FAIL("no exception for " << id);
    } catch (const std::system_error& e) {
      CHECK(e.code() == std::make_error_code(expected));
    }
  };
  fails_with("../ca", std::errc::invalid_argument);
  fails_with("", std::errc::invalid_argument);
  fails_with("0123abcd", std::errc::no_such_file_or_directory);  // no such peer directory
  CHECK_FALSE(fs::exists(t.aa.dir / "peers" / "0123abcd"));
}
