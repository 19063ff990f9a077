#include "nodedata/text_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "nodedata/database_error.hpp"

namespace swpt::nodedata {
namespace {

std::string errno_text() { return std::error_code{errno, std::generic_category()}.message(); }

class file_descriptor {
 public:
  explicit file_descriptor(int fd) noexcept : fd_{fd} {}
  file_descriptor(file_descriptor&& other) noexcept : fd_{std::exchange(other.fd_, -1)} {}
  file_descriptor& operator=(file_descriptor&&) = delete;
  ~file_descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// O_NONBLOCK so that a FIFO in place of a file cannot block the open; it
// has no effect on regular files, the only kind we go on to read.
file_descriptor open_regular_file(const std::filesystem::path& file) {
  file_descriptor fd{::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (fd.get() < 0) throw database_error{file, "cannot open file: " + errno_text()};
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw database_error{file, "cannot stat file: " + errno_text()};
  if (!S_ISREG(info.st_mode)) throw database_error{file, "not a regular file"};
  return fd;
}

std::filesystem::file_status status_of(const std::filesystem::path& entry) {
  std::error_code ec;
  const auto status = std::filesystem::status(entry, ec);
  // "Not found" (also for a non-directory in the middle of the path) comes
  // with an error code too; any other error is a real failure.
  if (ec && status.type() != std::filesystem::file_type::not_found)
    throw database_error{entry, "cannot check existence: " + ec.message()};
  return status;
}

}  // namespace

std::string read_text_file(const std::filesystem::path& file) {
  const file_descriptor fd = open_regular_file(file);
  std::string content;
  char buffer[4096];
  for (;;) {
    const ::ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n == 0) return content;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw database_error{file, "cannot read file: " + errno_text()};
    }
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > max_file_size)
      throw database_error{file, fmt::format("file is larger than {} bytes", max_file_size)};
  }
}

bool entry_exists(const std::filesystem::path& entry) {
  return std::filesystem::exists(status_of(entry));
}

bool directory_exists(const std::filesystem::path& dir) {
  return std::filesystem::is_directory(status_of(dir));
}

}  // namespace swpt::nodedata
