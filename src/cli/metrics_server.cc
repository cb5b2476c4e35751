// MetricsServer (cli/metrics.h) on cpp-httplib: two threads at most, loopback or any address.
#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "cli/metrics.h"

namespace ctdl::cli {
namespace {

class HttplibMetricsServer : public MetricsServer {
 public:
  explicit HttplibMetricsServer(BuildInfo build) : build_(std::move(build)) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(2); };
    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::vector<LogProgress> logs;
      ProcessProgress process;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (view_) {
          logs = view_->Logs();
          process = view_->Process();
        }
      }
      double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      res.set_content(RenderMetrics(logs, process, build_, now), "text/plain; version=0.0.4; charset=utf-8");
    });
    server_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
  }
  ~HttplibMetricsServer() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  Status Listen(const std::string& host, int port) {
    if (port == 0) {
      port_ = server_.bind_to_any_port(host);
      if (port_ <= 0) return Unavailable("--metrics-listen: cannot bind " + host);
    } else {
      if (!server_.bind_to_port(host, port))
        return Unavailable(fmt::format("--metrics-listen: cannot bind {}:{} (in use?)", host, port));
      port_ = port;
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    return Status::Ok();
  }
  int port() const override { return port_; }

  void Attach(const DownloadView* view) override {
    std::lock_guard<std::mutex> l(mu_);
    view_ = view;
  }
  void Update(const std::vector<LogProgress>&) override {}
  void Finish(const std::vector<LogProgress>&) override {}

 private:
  BuildInfo build_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  const DownloadView* view_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen, BuildInfo build) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size())
    return InvalidArgument("--metrics-listen wants ADDR:PORT, e.g. 127.0.0.1:9464, not \"" + listen + "\"");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  for (char c : listen.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return InvalidArgument("--metrics-listen: bad port in " + listen);
    port = port * 10 + (c - '0');
  }
  if (port > 65535) return InvalidArgument("--metrics-listen: bad port in " + listen);
  auto server = std::make_unique<HttplibMetricsServer>(std::move(build));
  TRY(server->Listen(host, port));
  return std::unique_ptr<MetricsServer>(std::move(server));
}

}  // namespace ctdl::cli
