#include "daemon/node_scan.hpp"

#include "nodedata/database_error.hpp"
#include "nodedata/node_id.hpp"
#include "nodedata/text_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <span>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace swpt::daemon {
namespace {

using std::filesystem::path;

// docs/node-database.md §2: the files of a peer directory that decide its
// condition and queue count, and the ones find_peer() reads. Anything else
// there (peercert.crt, the deployment's manifests) changes nothing we read.
constexpr std::string_view state_files[] = {"ACTIVE", "DEACTIVATED", "queues.txt"};
constexpr std::string_view read_files[] = {"sub-ca.crt", "root-ca.crt", "nodetype.txt", "subnet.txt",
                                           "masq-subnet.txt"};
constexpr std::string_view nodeinfo_dir = "nodeinfo";  // every file in it counts

bool is_one_of(std::string_view name, std::span<const std::string_view> names) {
  return std::ranges::find(names, name) != names.end();
}

std::int64_t nanoseconds(const struct timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

bool same_owner(const nodedata::owner_data& a, const nodedata::owner_data& b) {
  return a.type == b.type && a.node_id == b.node_id && a.creditors == b.creditors && a.debtors == b.debtors &&
         a.root_ca_pem == b.root_ca_pem;
}

// queues.txt: how many client queues the deployment runs (reconfigure-peer
// writes at most 99).
int read_queue_count(const path& file) {
  const std::string text = nodedata::read_text_file(file);
  const auto first = text.find_first_not_of(" \t\r\n\v\f");
  const auto last = text.find_last_not_of(" \t\r\n\v\f");
  const std::string_view digits =
      first == std::string::npos ? std::string_view{} : std::string_view{text}.substr(first, last - first + 1);
  int count = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  const bool digits_only = std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; });
  if (digits.empty() || !digits_only || ec != std::errc{} || end != digits.data() + digits.size() || count < 1 ||
      count > 99) {
    const std::string_view shown = std::string_view{text}.substr(0, 32);  // the file may be large
    throw nodedata::database_error{
        file, fmt::format("the number of queues must be 1 to 99, not {}{}", nodedata::quote(shown),
                          text.size() > shown.size() ? "..." : "")};
  }
  return count;
}

peer_view broken(const std::string& id, const nodedata::database_error& e) {
  peer_view view;
  view.id = id;
  view.condition = peer_condition::broken;
  view.error = e.what();
  return view;
}

template <class Stamps>
bool has(const Stamps& stamps, std::string_view name) {
  return std::ranges::any_of(stamps, [&](const auto& s) { return s.name == name; });
}

// Whether a peer's view is the state its fingerprint shows. A broken
// peer never counts as settled: its error may have been a passing one (an
// NFS hiccup) that no stat data records.
template <class Stamps>
bool agrees(const peer_view& view, const Stamps& state) {
  const bool active = has(state, "ACTIVE"), deactivated = has(state, "DEACTIVATED");
  switch (view.condition) {
    case peer_condition::registered:
      return !active && !deactivated;
    case peer_condition::active:
      return active && !deactivated;
    case peer_condition::deactivated:
      return deactivated;
    case peer_condition::broken:
      break;
  }
  return false;
}

}  // namespace

node_scanner::node_scanner(std::filesystem::path root) : root_{std::move(root)}, database_{root_} {}

const std::filesystem::path& node_scanner::root() const noexcept { return root_; }

node_view node_scanner::scan() {
  node_view out{.owner = database_.read_owner(), .peers = {}};
  // Every peer's parsed data depends on the owner's (its node ID in the
  // manifest, its subnets): read them all again when it changed.
  if (owner_ && !same_owner(*owner_, out.owner)) cache_.clear();
  owner_ = out.owner;

  std::map<std::string, cached, std::less<>> next;
  for (auto& [id, ignored_state] : database_.list_peers()) {
    // The condition comes from the fingerprint, not from list_peers(), so
    // that the cached view and the fingerprint describe one observation.
    std::optional<fingerprint> seen;
    try {
      seen = take_fingerprint(root_ / "peers" / id);
    } catch (const nodedata::database_error& e) {
      // Not cached: without a fingerprint it is read again next time.
      peer_view& view = out.peers.emplace(id, broken(id, e)).first->second;
      view.files_version = ++last_version_;
      continue;
    }
    if (!seen || !has(seen->files, "sub-ca.crt")) continue;  // went away since list_peers()

    const auto old = cache_.find(id);
    if (old != cache_.end() && old->second.seen == *seen && !old->second.reread) {
      out.peers.emplace(id, old->second.view);
      next.emplace(id, std::move(old->second));
      continue;
    }
    std::optional<peer_view> fresh = read_peer(id, *seen);
    if (!fresh) continue;
    const bool same_files = old != cache_.end() && old->second.seen.files == seen->files;
    fresh->files_version = same_files ? old->second.view.files_version : ++last_version_;
    out.peers.emplace(id, *fresh);
    const bool reread = !agrees(*fresh, seen->state);
    next.emplace(id, cached{std::move(*seen), std::move(*fresh), reread});
  }
  cache_ = std::move(next);  // removed peers are forgotten
  return out;
}

// nullopt when the directory is gone. Sorted by name, as directory order
// is arbitrary.
std::optional<node_scanner::fingerprint> node_scanner::take_fingerprint(const path& peer_dir) {
  fingerprint seen;
  const auto stamp_dir = [&](const path& dir, std::string_view prefix, bool top) {
    std::error_code ec;
    std::filesystem::directory_iterator it{dir, ec};
    if (ec == std::errc::no_such_file_or_directory) return false;
    for (; !ec && it != std::filesystem::directory_iterator{}; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      std::vector<file_stamp>* part = nullptr;
      if (!top) {
        part = &seen.files;
      } else if (is_one_of(name, state_files)) {
        part = &seen.state;
      } else if (is_one_of(name, read_files)) {
        part = &seen.files;
      }
      if (part == nullptr) continue;
      struct stat info {};
      if (::stat(it->path().c_str(), &info) != 0) {
        if (errno == ENOENT) continue;  // removed since listed, or a dangling symlink: absent
        const std::error_code error{errno, std::generic_category()};
        throw nodedata::database_error{it->path(), "cannot stat: " + error.message()};
      }
      part->push_back(file_stamp{.name = fmt::format("{}{}", prefix, name),
                                 .size = static_cast<std::uint64_t>(info.st_size),
                                 .inode = static_cast<std::uint64_t>(info.st_ino),
                                 .device = static_cast<std::uint64_t>(info.st_dev),
                                 .mtime_ns = nanoseconds(info.st_mtim),
                                 .ctime_ns = nanoseconds(info.st_ctim)});
    }
    if (ec) throw nodedata::database_error{dir, "cannot list directory: " + ec.message()};
    return true;
  };
  if (!stamp_dir(peer_dir, "", true)) return std::nullopt;
  stamp_dir(peer_dir / nodeinfo_dir, fmt::format("{}/", nodeinfo_dir), false);  // absent: find_peer() says so
  const auto by_name = [](const file_stamp& a, const file_stamp& b) { return a.name < b.name; };
  std::ranges::sort(seen.state, by_name);
  std::ranges::sort(seen.files, by_name);
  return seen;
}

// Reads what the condition needs: nothing for a registered peer, every file
// (through find_peer(), docs/node-database.md §5.1) otherwise. nullopt when
// the peer went away meanwhile.
std::optional<peer_view> node_scanner::read_peer(const std::string& id, const fingerprint& seen) {
  peer_view view;
  view.id = id;
  if (!has(seen.state, "ACTIVE") && !has(seen.state, "DEACTIVATED")) return view;
  ++parses_;
  try {
    std::optional<nodedata::peer_data> data = database_.find_peer(id, false);
    if (!data) return std::nullopt;
    // The state as find_peer() saw it: a change since the fingerprint was
    // taken also changes the next fingerprint, so it is read again then.
    switch (data->state) {
      case nodedata::peer_state::registered:
        return view;
      case nodedata::peer_state::active:
        view.condition = peer_condition::active;
        break;
      case nodedata::peer_state::deactivated:
        view.condition = peer_condition::deactivated;
        break;
    }
    if (has(seen.state, "queues.txt")) view.queues = read_queue_count(root_ / "peers" / id / "queues.txt");
    view.data = std::move(data);
  } catch (const nodedata::database_error& e) {
    view = broken(id, e);
  }
  return view;
}

void mark_active(const std::filesystem::path& root, std::string_view peer_id) {
  if (!nodedata::is_node_id(peer_id)) {
    throw std::system_error{std::make_error_code(std::errc::invalid_argument),
                            "not a node ID: " + nodedata::quote(peer_id)};
  }
  const path file = root / "peers" / std::string{peer_id} / "ACTIVE";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return;  // marked before: idempotent
    throw std::system_error{errno, std::generic_category(), "cannot create " + file.string()};
  }
  ::close(fd);
}

}  // namespace swpt::daemon
