#include "nodedata/stomp_manifest.hpp"

#include <cstddef>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "nodedata/database_error.hpp"

namespace swpt::nodedata {
namespace {

using std::filesystem::path;

constexpr std::string_view node_id_placeholder = "${NODE_ID}";
constexpr std::string_view always_accepted_type = "application/json";

[[noreturn]] void fail(const path& file, std::string_view key, std::string_view problem) {
  throw database_error{file, fmt::format("{}: {}", key, problem)};
}

toml::table parse_toml(std::string_view text, const path& file) {
  try {
    return toml::parse(text, std::string_view{file.native()});
  } catch (const toml::parse_error& e) {
    throw database_error{file, fmt::format("invalid TOML at line {}, column {}: {}", e.source().begin.line,
                                           e.source().begin.column, e.description())};
  }
}

std::string substitute_node_id(std::string_view value, std::string_view owner_node_id) {
  std::string out;
  for (std::size_t at; (at = value.find(node_id_placeholder)) != std::string_view::npos;) {
    out.append(value.substr(0, at)).append(owner_node_id);
    value.remove_prefix(at + node_id_placeholder.size());
  }
  return out.append(value);
}

std::optional<std::string> optional_string(const toml::table& doc, std::string_view key, const path& file) {
  const toml::node* node = doc.get(key);
  if (node == nullptr) return std::nullopt;
  const auto* value = node->as_string();
  if (value == nullptr) fail(file, key, "expected a string");
  return value->get();
}

std::string required_string(const toml::table& doc, std::string_view key, const path& file) {
  auto value = optional_string(doc, key, file);
  if (!value) fail(file, key, "missing");
  return std::move(*value);
}

// nullopt when the key is absent; an error when present with a wrong type.
std::optional<std::vector<std::string>> optional_strings(const toml::table& doc, std::string_view key,
                                                         const path& file) {
  const toml::node* node = doc.get(key);
  if (node == nullptr) return std::nullopt;
  const auto* array = node->as_array();
  if (array == nullptr) fail(file, key, "expected an array of strings");
  std::vector<std::string> values;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* value = (*array)[i].as_string();
    if (value == nullptr) fail(file, fmt::format("{}[{}]", key, i), "expected a string");
    values.push_back(value->get());
  }
  return values;
}

// Says which half of the entry is wrong, so the operator need not guess.
server_address to_server_address(std::string_view entry, std::string_view where, const path& file) {
  const std::size_t colon = entry.find(':');
  if (colon == std::string_view::npos) fail(file, where, "missing \":port\" in " + quote(entry));
  const std::string_view host = entry.substr(0, colon), port = entry.substr(colon + 1);
  if (!is_valid_host(host)) fail(file, where, "invalid host " + quote(host));
  if (!parse_port(port)) fail(file, where, "invalid port " + quote(port));
  return *parse_server_address(entry);
}

std::vector<server_address> read_servers(const toml::table& doc, const path& file) {
  auto entries = optional_strings(doc, "servers", file);
  if (!entries) fail(file, "servers", "missing");
  if (entries->empty()) fail(file, "servers", "empty list");
  std::vector<server_address> servers;
  for (std::size_t i = 0; i < entries->size(); ++i)
    servers.push_back(to_server_address((*entries)[i], fmt::format("servers[{}]", i), file));
  return servers;
}

}  // namespace

stomp_manifest parse_stomp_manifest(std::string_view toml_text, std::string_view owner_node_id,
                                    const std::filesystem::path& file_for_errors) {
  const path& file = file_for_errors;
  const toml::table doc = parse_toml(toml_text, file);
  stomp_manifest manifest;
  manifest.servers = read_servers(doc, file);
  manifest.host = substitute_node_id(required_string(doc, "host", file), owner_node_id);
  manifest.destination = substitute_node_id(required_string(doc, "destination", file), owner_node_id);
  if (auto login = optional_string(doc, "login", file)) manifest.login = substitute_node_id(*login, owner_node_id);
  manifest.passcode = optional_string(doc, "passcode", file);
  manifest.accepted_content_types = optional_strings(doc, "accepted-content-types", file).value_or(std::vector<std::string>{});
  manifest.accepted_content_types.emplace_back(always_accepted_type);
  return manifest;
}

}  // namespace swpt::nodedata
