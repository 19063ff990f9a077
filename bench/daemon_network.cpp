// daemon_network: the node databases of bench/daemon. An accounting
// authority A with many creditors agents as active peers: B, a real peer
// whose own database has A as its active peer (it runs a daemon), and
// stand-ins p0001... whose servers bench/daemon plays with their own
// certificates (their databases exist but run nothing).
//
//   daemon_network OUTDIR PEERS A_PORT B_PORT FIRST_STAND_IN_PORT
//
// Writes OUTDIR/nodes/ (the databases and secrets of tests/fixtures),
// OUTDIR/nodes.tsv: "name id database server.crt server.key port" for a
// and b, and OUTDIR/stand-ins.tsv: "id port server.crt server.key" for the
// PEERS - 1 stand-ins, on ports FIRST_STAND_IN_PORT, +1, ...

#include "network.hpp"

#include <fmt/format.h>
#include <fmt/os.h>

#include <charconv>
#include <cstdio>
#include <exception>
#include <string_view>

namespace {

using swpt::node_type;
namespace fixtures = swpt::fixtures;

unsigned number(std::string_view text, unsigned max) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > max)
    throw std::invalid_argument(fmt::format("bad number {:?}", text));
  return value;
}

std::string full_path(const std::filesystem::path& p) {
  return std::filesystem::absolute(p).lexically_normal().string();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    fmt::print(stderr, "usage: daemon_network OUTDIR PEERS A_PORT B_PORT FIRST_STAND_IN_PORT\n");
    return 2;
  }
  try {
    const std::filesystem::path out = argv[1];
    const unsigned peers = number(argv[2], 60000);
    const auto a_port = static_cast<std::uint16_t>(number(argv[3], 65535));
    const auto b_port = static_cast<std::uint16_t>(number(argv[4], 65535));
    const unsigned first = number(argv[5], 65535);
    if (first + peers - 1 > 65535) throw std::invalid_argument("the stand-ins' ports go past 65535");

    fixtures::network net{out / "nodes"};
    fixtures::node& a = net.add_node("a", node_type::accounting_authority, a_port, "1234abcd");
    fixtures::node& b = net.add_node("b", node_type::creditors_agent, b_port);
    net.make_peers(a, b);
    net.activate(a, b);
    net.activate(b, a);
    auto nodes = fmt::output_file((out / "nodes.tsv").string());
    for (const auto* n : {&a, &b})
      nodes.print("{}\t{}\t{}\t{}\t{}\t{}\n", n->name, n->id, full_path(n->dir), full_path(n->server_cert),
                  full_path(n->server_key), n->port);
    nodes.close();

    auto stand_ins = fmt::output_file((out / "stand-ins.tsv").string());
    for (unsigned i = 1; i < peers; ++i) {
      fixtures::node& p = net.add_node(fmt::format("p{:04}", i), node_type::creditors_agent,
                                       static_cast<std::uint16_t>(first + i - 1));
      net.make_peers(a, p);
      net.activate(a, p);
      stand_ins.print("{}\t{}\t{}\t{}\n", p.id, p.port, full_path(p.server_cert), full_path(p.server_key));
    }
    stand_ins.close();
  } catch (const std::exception& e) {
    fmt::print(stderr, "daemon_network: {}\n", e.what());
    return 1;
  }
  return 0;
}
