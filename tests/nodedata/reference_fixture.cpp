#include "reference_fixture.hpp"

#include <fmt/format.h>

namespace swpt::nodedata::testing {
namespace {

using entries = temp_tree::entries;

void append(entries& to, const entries& from) { to.insert(to.end(), from.begin(), from.end()); }

std::string manifest(std::string_view server_list, std::string_view host, std::string_view destination) {
  return fmt::format("servers = [{}]\nhost = \"{}\"\ndestination = \"{}\"\n", server_list, host, destination);
}

entries aa_node() {
  entries files{
      {"AA/root-ca.crt", "Certificate:\n    Data: text dump\n" + pem_block("AAroot")},
      {"AA/db/nodeid", "1234abcd\n"},
      {"AA/db/nodetype", "Accounting Authorities\n"},
      {"AA/nodeinfo/stomp.toml", manifest("\"127.0.0.1:1234\"", "/", "/exchange/accounts_in")},
  };
  const std::string ca_manifest = manifest("\"127.0.0.1:1235\"", "/${NODE_ID}", "/exchange/creditors_in");
  append(files, peer_entries("AA", {std::string_view{ca_id}, "Creditors Agents\r\n", ca_manifest, "subnet.txt",
                                    "000001\n", "ACTIVE"}));
  const std::string da_manifest = manifest("\"127.0.0.1:1236\"", "/${NODE_ID}", "/exchange/debtors_in");
  append(files, peer_entries("AA", {std::string_view{da_id}, "Debtors Agents\n", da_manifest, "subnet.txt",
                                    "1234abcd00\n", "ACTIVE"}));
  append(files, peer_entries("AA", {std::string_view{deactivated_ca_id}, "Creditors Agents\n", ca_manifest,
                                    "subnet.txt", "000002\n", "DEACTIVATED"}));
  return files;
}

entries ca_node() {
  entries files{
      {"CA/root-ca.crt", pem_block("CAroot")},
      {"CA/creditors-subnet.txt", "000008\n"},
      {"CA/db/nodeid", std::string{ca_id} + "\n"},
      {"CA/db/nodetype", "Creditors Agents\n"},
  };
  const std::string aa_manifest =
      manifest("\"127.0.0.1:1234\", \"127.0.0.1:1234\"", "/", "/exchange/accounts_in");
  append(files, peer_entries("CA", {std::string_view{aa_id}, "Accounting Authorities", aa_manifest,
                                    "masq-subnet.txt", "000001\n", "ACTIVE"}));
  append(files, peer_entries("CA", {std::string_view{deactivated_aa_id}, "Accounting Authorities\n", aa_manifest,
                                    "masq-subnet.txt", "000001\n", "DEACTIVATED"}));
  return files;
}

entries da_node() {
  entries files{
      {"DA/root-ca.crt", pem_block("DAroot")},
      {"DA/debtors-subnet.txt", "1234abcd00\n"},
      {"DA/db/nodeid", std::string{da_id} + "\n"},
      {"DA/db/nodetype", "Debtors Agents\n"},
  };
  const std::string aa_manifest = manifest("\"127.0.0.1:1234\"", "/", "/exchange/accounts_in");
  append(files, peer_entries("DA", {std::string_view{aa_id}, "Accounting Authorities\n", aa_manifest, "", "",
                                    "ACTIVE"}));
  return files;
}

}  // namespace

std::string pem_block(std::string_view tag) {
  return fmt::format(
      "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU{}\nZmFrZSBjZXJ0aWZpY2F0ZQ==\n-----END CERTIFICATE-----\n",
      tag);
}

temp_tree::entries peer_entries(std::string_view owner_dir, const peer_files& peer) {
  const std::string dir = fmt::format("{}/peers/{}/", owner_dir, peer.id);
  entries files{
      {dir + "sub-ca.crt", pem_block(fmt::format("sub{}", peer.id))},
      {dir + "root-ca.crt", "text dump\n" + pem_block(fmt::format("root{}", peer.id))},
      {dir + "peercert.crt", pem_block("peercert")},
      {dir + "queues.txt", "1\n"},
      {dir + "nodetype.txt", std::string{peer.nodetype}},
      {dir + "nodeinfo/stomp.toml", std::string{peer.stomp_toml}},
      {dir + "nodeinfo/updated-at.txt", "2024-01-01\n"},
  };
  if (!peer.subnet_file.empty()) files.emplace_back(dir + std::string{peer.subnet_file}, peer.subnet);
  // DEACTIVATED holds a date (`date -I`); ACTIVE is empty. Only existence counts.
  const std::string_view state_content = peer.state_file == "DEACTIVATED" ? "2024-02-01\n" : "";
  if (!peer.state_file.empty()) files.emplace_back(dir + std::string{peer.state_file}, state_content);
  return files;
}

entries reference_fixture() {
  entries files = aa_node();
  append(files, ca_node());
  append(files, da_node());
  return files;
}

}  // namespace swpt::nodedata::testing
