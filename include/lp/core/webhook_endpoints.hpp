// Webhook endpoints of a merchant (PRODUCT.md §3): CRUD, secret rotation (both signatures for
// 24 h), the deliveries of an event and redelivery. Secrets are generated here, shown once and
// stored sealed by the key ring.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lp/common/clock.hpp"
#include "lp/common/task.hpp"
#include "lp/core/model.hpp"
#include "lp/core/payments.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/net/outbound_policy.hpp"
#include "lp/store/store.hpp"

namespace lp::core {

// Event types an endpoint may subscribe to ("*" = all).
const std::vector<std::string>& EventTypes();

struct EndpointParams {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> enabled_events;
  std::optional<std::string> description;
  std::optional<std::string> status;  // update: enabled | disabled
};

class WebhookEndpointService {
 public:
  WebhookEndpointService(store::Store& store, const crypto::KeyRing& keyring, const Clock& clock,
                         net::OutboundPolicy policy);

  Task<Result<ApiResult>> Create(const Principal& p, EndpointParams params, Actor actor);
  Task<Result<ApiResult>> Update(const Principal& p, std::string id, EndpointParams params,
                                 Actor actor);
  Task<Result<ApiResult>> Delete(const Principal& p, std::string id, Actor actor);
  Task<Result<ApiResult>> Get(const Principal& p, std::string id);
  Task<Result<ApiResult>> List(const Principal& p, ListParams params);
  Task<Result<ApiResult>> RotateSecret(const Principal& p, std::string id, Actor actor);
  Task<Result<ApiResult>> Deliveries(const Principal& p, std::string event_id);
  Task<Result<ApiResult>> Redeliver(const Principal& p, std::string event_id,
                                    std::optional<std::string> endpoint_id, Actor actor);

  // The URL rules (https outside dev mode, no forbidden address literal); errors name `url`.
  Result<void> CheckUrl(std::string_view url) const;

 private:
  store::Store& store_;
  const crypto::KeyRing& keyring_;
  const Clock& clock_;
  net::OutboundPolicy policy_;
};

}  // namespace lp::core
