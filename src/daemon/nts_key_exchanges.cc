#include "daemon/nts_key_exchanges.h"

#include "platform/nts_ke_client.h"

namespace meridian::daemon {

namespace {

Result<engine::KeyExchangeResult> run_exchange(const engine::KeyExchange& request,
                                               const std::string& ca_file) {
  platform::NtsKeClientOptions o;
  o.host = request.name;
  o.address = request.address;
  o.port = request.port;
  o.ca_file = ca_file;
  o.check_time = true;
  o.verify_time_unix_s = request.now_unix_s;
  auto outcome = platform::nts_ke_exchange(o);
  bool loose = false;
  if (!outcome && request.allow_loose && is_certificate_time_error(outcome.error().message)) {
    o.check_time = false;
    outcome = platform::nts_ke_exchange(o);
    loose = true;
  }
  if (!outcome) return outcome.error();
  return engine::KeyExchangeResult{outcome->keys, std::move(outcome->cookies), outcome->server,
                                   outcome->port, loose};
}

}  // namespace

bool is_certificate_time_error(const std::string& message) {
  return message.find("certificate has expired") != std::string::npos ||
         message.find("certificate is not yet valid") != std::string::npos;
}

NtsKeyExchanges::~NtsKeyExchanges() {
  for (auto& j : jobs_) {
    if (j.thread.joinable()) j.thread.join();
  }
}

void NtsKeyExchanges::start(const engine::KeyExchange& request) {
  Job job;
  job.association = request.association;
  job.done = std::make_shared<std::atomic<bool>>(false);
  job.result = std::make_shared<Result<engine::KeyExchangeResult>>(
      make_error(ErrorCode::kUnavailable, "not run"));
  const std::string ca = request.ca_file.empty() ? default_ca_ : request.ca_file;
  if (!threads_allowed_) {
    *job.result = make_error(ErrorCode::kUnsupported,
                             "the sandbox was set up without NTS (no NTS server at start); "
                             "restart ntpd to use it");
    job.done->store(true);
    jobs_.push_back(std::move(job));
    return;
  }
  job.thread = std::thread([request, ca, done = job.done, result = job.result] {
    *result = run_exchange(request, ca);
    done->store(true, std::memory_order_release);
  });
  jobs_.push_back(std::move(job));
}

std::vector<std::pair<size_t, Result<engine::KeyExchangeResult>>> NtsKeyExchanges::take_finished() {
  std::vector<std::pair<size_t, Result<engine::KeyExchangeResult>>> out;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (!it->done->load(std::memory_order_acquire)) {
      ++it;
      continue;
    }
    if (it->thread.joinable()) it->thread.join();
    out.emplace_back(it->association, std::move(*it->result));
    it = jobs_.erase(it);
  }
  return out;
}

}  // namespace meridian::daemon
