#include "daemon/node_scan.hpp"

#include "nodedata/database_error.hpp"
#include "nodedata/node_id.hpp"
#include "nodedata/text_file.hpp"

#include <dirent.h>
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

std::string errno_text(int error) { return std::error_code{error, std::generic_category()}.message(); }

// An open directory, closed with its scope.
class directory_fd {
 public:
  explicit directory_fd(int fd) noexcept : fd_{fd} {}
  directory_fd(const directory_fd&) = delete;
  directory_fd& operator=(const directory_fd&) = delete;
  ~directory_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// Opens `name` in the directory `at` (symlinks followed, as stat() does).
directory_fd open_directory(int at, const char* name) {
  return directory_fd{::openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
}

// Calls `f(name)` for every entry of the open directory `dir` but "." and
// "..", in directory order, reading with getdents64 into `buffer` (the
// scanner's own, reused: no allocation per directory, unlike opendir()).
// Returns the error that ended the listing, 0 at its end.
template <class F>
int for_each_entry(int dir, std::span<char> buffer, F&& f) {
  for (;;) {
    const ::ssize_t n = ::getdents64(dir, buffer.data(), buffer.size());
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (::ssize_t at = 0; at < n;) {
      const auto* entry = reinterpret_cast<const struct dirent64*>(buffer.data() + at);
      at += entry->d_reclen;
      const std::string_view name{entry->d_name};
      if (name != "." && name != "..") f(name);
    }
  }
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

  // Every entry of peers/ named like a node ID; a directory with sub-ca.crt
  // is a peer (docs/node-database.md §2). Its condition comes from the
  // same fingerprint as the cache's, so that the cached view and the
  // fingerprint describe one observation.
  const path peers_dir = root_ / "peers";
  const directory_fd peers = open_directory(AT_FDCWD, peers_dir.c_str());
  if (const int error = errno; peers.get() < 0)
    throw nodedata::database_error{peers_dir, "cannot list directory: " + errno_text(error)};
  std::vector<std::string> ids;
  const int error = for_each_entry(peers.get(), buffer_, [&](std::string_view name) {
    if (nodedata::is_node_id(name)) ids.emplace_back(name);
  });
  if (error != 0) throw nodedata::database_error{peers_dir, "cannot list directory: " + errno_text(error)};

  std::map<std::string, cached, std::less<>> next;
  for (const std::string& id : ids) {
    std::optional<fingerprint> seen;
    try {
      seen = take_fingerprint(peers.get(), id);
    } catch (const nodedata::database_error& e) {
      // Not cached: without a fingerprint it is read again next time.
      peer_view& view = out.peers.emplace(id, broken(id, e)).first->second;
      view.files_version = ++last_version_;
      continue;
    }
    if (!seen || !has(seen->files, "sub-ca.crt")) continue;  // not a peer (yet), or gone

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

// nullopt when peers/<id> is not a directory (or is gone). Sorted by name,
// as directory order is arbitrary. Every name is looked up relative to an
// open directory, and the listing goes into the scanner's buffer: a scan
// of an unchanged database costs a few short system calls per peer
// (docs/daemon.md §1).
std::optional<node_scanner::fingerprint> node_scanner::take_fingerprint(int peers_dir, const std::string& id) {
  const auto where = [&](std::string_view name) {
    path p = root_ / "peers" / id;
    if (!name.empty()) p /= name;
    return p;
  };
  const directory_fd dir = open_directory(peers_dir, id.c_str());
  if (const int error = errno; dir.get() < 0) {
    if (error == ENOENT || error == ENOTDIR) return std::nullopt;
    throw nodedata::database_error{where(""), "cannot list directory: " + errno_text(error)};
  }
  fingerprint seen;
  // Stamps `name` of the open directory `at` into `part`; absent (removed
  // since listed, or a dangling symlink) is no stamp.
  const auto stamp = [&](int at, std::string_view prefix, std::string_view name, std::vector<file_stamp>& part) {
    std::string shown{prefix};
    shown += name;
    struct stat info {};
    if (::fstatat(at, shown.c_str() + prefix.size(), &info, 0) != 0) {
      const int error = errno;
      if (error == ENOENT) return;
      throw nodedata::database_error{where(shown), "cannot stat: " + errno_text(error)};
    }
    part.push_back(file_stamp{.name = std::move(shown),
                              .size = static_cast<std::uint64_t>(info.st_size),
                              .inode = static_cast<std::uint64_t>(info.st_ino),
                              .device = static_cast<std::uint64_t>(info.st_dev),
                              .mtime_ns = nanoseconds(info.st_mtim),
                              .ctime_ns = nanoseconds(info.st_ctim)});
  };
  // The files of fixed names are looked up, not listed: a lookup of an
  // absent name costs less than reading the directory.
  for (const std::string_view name : state_files) stamp(dir.get(), "", name, seen.state);
  for (const std::string_view name : read_files) stamp(dir.get(), "", name, seen.files);

  // Every file in nodeinfo/; absent: find_peer() says so.
  const directory_fd info = open_directory(dir.get(), std::string{nodeinfo_dir}.c_str());
  if (const int error = errno; info.get() < 0 && error != ENOENT)
    throw nodedata::database_error{where(nodeinfo_dir), "cannot list directory: " + errno_text(error)};
  if (info.get() >= 0) {
    const std::string prefix = fmt::format("{}/", nodeinfo_dir);
    const int error =
        for_each_entry(info.get(), buffer_, [&](std::string_view name) { stamp(info.get(), prefix, name, seen.files); });
    if (error != 0) throw nodedata::database_error{where(nodeinfo_dir), "cannot list directory: " + errno_text(error)};
  }
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
    view.data = std::make_shared<const nodedata::peer_data>(std::move(*data));
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
