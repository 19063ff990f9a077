#include "daemon/node_watch.hpp"

#include "nodedata/node_id.hpp"

#include <sys/inotify.h>

#include <asio/error.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

namespace swpt::daemon {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A burst of writes (a directory filled file by file, a nodeinfo/ copied
// again) makes one scan: the first event sets a deadline this far away and
// later events do not move it.
constexpr auto coalesce = 50ms;

// What changes a scan's result: entries appearing, going or being renamed,
// files finished (IN_CLOSE_WRITE, not every IN_MODIFY), `touch -a ACTIVE`
// (IN_ATTRIB). IN_Q_OVERFLOW and IN_IGNORED come unasked.
constexpr std::uint32_t watch_mask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE |
                                     IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

std::string peer_dir(std::string_view id) { return "peers/" + std::string{id}; }
std::string nodeinfo_dir(std::string_view id) { return peer_dir(id) + "/nodeinfo"; }

}  // namespace

// Shared by the watcher, a waiting due() and the pending read, each of
// which may end last.
struct node_watcher::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, std::filesystem::path r, duration i, log::logger l)
      : root{std::move(r)}, interval{i}, logger{std::move(l)}, wake{ex}, interval_due{clock::now() + i} {}

  const std::filesystem::path root;
  const duration interval;
  const log::logger logger;

  // due() waits on `wake` until the earlier of the two deadlines; whoever
  // moves a deadline earlier cancels the wait so that due() looks again.
  asio::steady_timer wake;
  clock::time_point interval_due;
  clock::time_point early_due = clock::time_point::max();
  bool closed = false;

  std::optional<asio::posix::stream_descriptor> inotify;  // none: the interval alone
  alignas(inotify_event) std::array<char, 16 * 1024> buffer{};
  bool degraded = false;  // said once that some changes wait for the interval

  // Watched directories, relative to root ("", "peers", "peers/<id>",
  // "peers/<id>/nodeinfo"), and back (two paths may be one inode).
  std::map<std::string, int, std::less<>> wd_of;
  std::map<int, std::set<std::string, std::less<>>> dirs_of;
  std::set<std::string, std::less<>> given;     // watch_peers()'s IDs
  std::set<std::string, std::less<>> appeared;  // new in peers/ since: maybe not complete yet
  // A watched path may name another directory now, unseen by any event
  // (events were lost, or a watched directory was moved away with what is
  // under it): update() renews every watch, not only the missing ones.
  bool renew_all = false;

  void open();
  void read();
  void handle(int wd, std::uint32_t mask, std::string_view name);
  void on_new_dir(const std::string& dir, std::string_view name);
  void watch(const std::string& dir);
  void unwatch(const std::string& dir);
  void forget(int wd);
  void update();
  void degrade(std::string_view why);

  void soon(clock::time_point when) {
    if (when >= early_due) return;
    early_due = when;
    wake.cancel();
  }
  void close();
};

void node_watcher::impl::open() {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    degrade(std::error_code{errno, std::generic_category()}.message());
    return;
  }
  inotify.emplace(wake.get_executor(), fd);
  update();
  read();
}

void node_watcher::impl::degrade(std::string_view why) {
  if (std::exchange(degraded, true)) return;
  logger.warning("inotify does not watch all of {} ({}): some changes are seen only by the rescan every {} ms",
                 root.string(), why, interval.count());
}

// A callback chain rather than a coroutine: it holds the impl, and ends
// (operation_aborted) as soon as close() closes the descriptor.
void node_watcher::impl::read() {
  inotify->async_read_some(asio::buffer(buffer), [self = shared_from_this()](std::error_code ec, std::size_t n) {
    if (self->closed) return;
    if (ec) {
      self->degrade("reading events failed: " + ec.message());
      self->inotify->close(ec);
      self->inotify.reset();
      return;
    }
    for (std::size_t at = 0; at + sizeof(inotify_event) <= n;) {
      inotify_event event{};
      std::memcpy(&event, self->buffer.data() + at, sizeof event);
      const std::size_t length = std::min<std::size_t>(event.len, n - at - sizeof event);
      std::string_view name{self->buffer.data() + at + sizeof event, length};
      name = name.substr(0, name.find('\0'));
      at += sizeof event + event.len;
      self->handle(event.wd, event.mask, name);
    }
    self->read();
  });
}

void node_watcher::impl::handle(int wd, std::uint32_t mask, std::string_view name) {
  if (mask & IN_Q_OVERFLOW) {
    renew_all = true;
    soon(clock::now() + coalesce);  // events were lost: the scan finds what they said
    return;
  }
  const auto dirs = dirs_of.find(wd);
  if (dirs == dirs_of.end()) return;  // a watch we removed ourselves
  if (mask & (IN_MOVE_SELF | IN_DELETE_SELF)) renew_all = true;
  if (mask & IN_IGNORED) {
    forget(wd);  // the directory went: the scan, then watch_peers(), tell what replaces it
  } else if ((mask & IN_ISDIR) && (mask & (IN_CREATE | IN_MOVED_TO))) {
    for (const std::string& dir : std::set{dirs->second}) on_new_dir(dir, name);
  } else if ((mask & IN_ISDIR) && (mask & (IN_DELETE | IN_MOVED_FROM)) && dirs->second.contains("peers")) {
    if (const auto it = appeared.find(name); it != appeared.end()) appeared.erase(it);
  }
  soon(clock::now() + coalesce);
}

// A directory that appears is watched at once, before the scan that the
// event asks for, so that files written into it afterwards (a peer
// directory filled file by file before sub-ca.crt makes it a peer, a
// nodeinfo/ copied again) are seen too.
void node_watcher::impl::on_new_dir(const std::string& dir, std::string_view name) {
  if (dir.empty() && name == "peers") {
    watch("peers");
    renew_all = true;  // the peers' watches are on the old peers/'s directories
  } else if (dir == "peers" && nodedata::is_node_id(name)) {
    appeared.emplace(name);
    watch(peer_dir(name));
    watch(nodeinfo_dir(name));
  } else if (dir.starts_with("peers/") && dir.find('/', 6) == std::string::npos && name == "nodeinfo") {
    watch(dir + "/nodeinfo");
  }
}

// Adds or renews the watch of `dir`: a path now naming another inode (a
// directory replaced by a rename) gets a new watch descriptor, and the old
// one is dropped. A path that is not there is simply not watched.
void node_watcher::impl::watch(const std::string& dir) {
  const int wd = ::inotify_add_watch(inotify->native_handle(), (root / dir).c_str(), watch_mask);
  const int error = errno;
  if (const auto old = wd_of.find(dir); old != wd_of.end()) {
    if (old->second == wd) return;
    unwatch(dir);
  }
  if (wd < 0) {
    if (error != ENOENT && error != ENOTDIR) degrade(std::error_code{error, std::generic_category()}.message());
    return;
  }
  wd_of.emplace(dir, wd);
  dirs_of[wd].insert(dir);
}

void node_watcher::impl::unwatch(const std::string& dir) {
  const auto it = wd_of.find(dir);
  if (it == wd_of.end()) return;
  const int wd = it->second;
  wd_of.erase(it);
  auto& dirs = dirs_of[wd];
  dirs.erase(dir);
  if (!dirs.empty()) return;
  dirs_of.erase(wd);
  ::inotify_rm_watch(inotify->native_handle(), wd);  // may be gone already: its IN_IGNORED is then ignored
}

// The kernel dropped `wd` (its directory was deleted).
void node_watcher::impl::forget(int wd) {
  const auto it = dirs_of.find(wd);
  for (const std::string& dir : it->second) wd_of.erase(dir);
  dirs_of.erase(it);
}

// Watches root, peers/, and the given and appeared peers' directories;
// drops every other watch. A directory watched already keeps its watch
// (the events of its parent renew it when it is replaced), so that a scan
// of an unchanged database adds no watch: inotify_add_watch() walks the
// whole path, thousands of times per scan otherwise.
void node_watcher::impl::update() {
  std::set<std::string, std::less<>> wanted{"", "peers"};
  for (const auto* ids : {&given, &appeared}) {
    for (const std::string& id : *ids) {
      wanted.insert(peer_dir(id));
      wanted.insert(nodeinfo_dir(id));
    }
  }
  std::vector<std::string> unwanted;
  for (const auto& [dir, wd] : wd_of)
    if (!wanted.contains(dir)) unwanted.push_back(dir);
  for (const std::string& dir : unwanted) unwatch(dir);
  const bool all = std::exchange(renew_all, false);
  for (const std::string& dir : wanted)
    if (all || !wd_of.contains(dir)) watch(dir);
}

void node_watcher::impl::close() {
  if (std::exchange(closed, true)) return;
  wake.cancel();
  if (inotify) {
    std::error_code ignored;
    inotify->close(ignored);  // also removes every watch
  }
  wd_of.clear();
  dirs_of.clear();
}

node_watcher::node_watcher(asio::any_io_executor ex, std::filesystem::path root, duration interval,
                           log::logger logger)
    : impl_{std::make_shared<impl>(std::move(ex), std::move(root), interval, std::move(logger))} {
  impl_->open();
}

node_watcher::~node_watcher() { impl_->close(); }

asio::awaitable<void> node_watcher::due() {
  const auto self = impl_;  // the watcher may go while this waits
  for (;;) {
    if (self->closed) throw std::system_error{asio::error::operation_aborted, "node_watcher closed"};
    const auto now = clock::now();
    if (std::min(self->interval_due, self->early_due) <= now) {
      self->interval_due = now + self->interval;
      self->early_due = clock::time_point::max();
      co_return;
    }
    self->wake.expires_at(std::min(self->interval_due, self->early_due));
    co_await self->wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    // Woken by soon() or close() (a cancel()), or by the deadline: look
    // again. The caller's own cancellation ends the wait.
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
      throw std::system_error{asio::error::operation_aborted, "node_watcher::due cancelled"};
  }
}

void node_watcher::rescan() { impl_->soon(clock::now()); }

void node_watcher::watch_peers(const std::vector<std::string>& ids) {
  if (impl_->closed || !impl_->inotify) return;
  impl_->given = {ids.begin(), ids.end()};
  // Those the scan reports are tracked by `given` from now on.
  std::erase_if(impl_->appeared, [&](const std::string& id) { return impl_->given.contains(id); });
  impl_->update();
}

void node_watcher::close() { impl_->close(); }

}  // namespace swpt::daemon
