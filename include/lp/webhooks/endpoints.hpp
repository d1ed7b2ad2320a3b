// Webhook endpoints of a merchant (PRODUCT.md §3): CRUD, secret rotation (both signatures for
// 24 h), the deliveries of an event and redelivery. Secrets are generated here, shown once and
// stored sealed by the key ring.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lp/common/api_result.hpp"
#include "lp/common/clock.hpp"
#include "lp/common/principal.hpp"
#include "lp/common/task.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/net/outbound_policy.hpp"
#include "lp/store/sealed_columns.hpp"
#include "lp/store/store.hpp"

namespace lp::webhooks {

// Event types an endpoint may subscribe to ("*" = all).
const std::vector<std::string>& EventTypes();

struct EndpointParams {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> enabled_events;
  std::optional<std::string> description;
  std::optional<std::string> status;  // update: enabled | disabled
};

// A merchant's webhook endpoint (never its secret).
struct Endpoint {
  std::string id;
  std::string url;
  std::vector<std::string> enabled_events;
  std::optional<std::string> description;
  std::string status;  // enabled | disabled | failing
  Mode mode = Mode::kTest;
  int64_t created_us = 0, updated_us = 0;
  std::optional<int64_t> previous_secret_expires_us;
};

// An endpoint just created or with a new secret: the `whsec_` secret is shown this once.
struct EndpointWithSecret {
  Endpoint endpoint;
  std::string secret;
};

struct DeliveryAttempt {
  int64_t attempt = 0;
  int64_t time_us = 0;
  std::optional<int64_t> status_code;
  std::optional<int64_t> latency_us;
  std::optional<std::string> error;
};

// One event sent to one endpoint, with every attempt.
struct Delivery {
  std::string id, event_id, endpoint_id;
  std::string status;  // pending | succeeded | failed
  int64_t attempt_count = 0;
  std::optional<int64_t> next_attempt_us;  // pending only
  int64_t created_us = 0;
  std::vector<DeliveryAttempt> attempts;
};

// The sealed columns of endpoint secrets (key-ring rotation walks them).
inline constexpr store::SealedColumn kSecretColumn{"webhook_endpoints", "id", "secret_sealed"};
inline constexpr store::SealedColumn kOldSecretColumn{"webhook_endpoints", "id",
                                                      "old_secret_sealed"};

class WebhookEndpointService {
 public:
  // Endpoints (not deleted) per merchant and mode.
  static constexpr int64_t kMaxEndpoints = 16;

  WebhookEndpointService(store::Store& store, const crypto::KeyRing& keyring, const Clock& clock,
                         net::OutboundPolicy policy);

  Task<Result<EndpointWithSecret>> Create(const Principal& p, EndpointParams params, Actor actor);
  Task<Result<Endpoint>> Update(const Principal& p, std::string id, EndpointParams params,
                                Actor actor);
  Task<Result<void>> Delete(const Principal& p, std::string id, Actor actor);
  Task<Result<Endpoint>> Get(const Principal& p, std::string id);
  Task<Result<Page<Endpoint>>> List(const Principal& p, ListParams params);
  Task<Result<EndpointWithSecret>> RotateSecret(const Principal& p, std::string id, Actor actor);
  // Every delivery of the caller's event.
  Task<Result<std::vector<Delivery>>> Deliveries(const Principal& p, std::string event_id);
  // One endpoint's deliveries, newest first (dashboard, docs/dashboard-api.md §5); 404 for an
  // endpoint of another merchant or mode.
  Task<Result<Page<Delivery>>> EndpointDeliveries(const Principal& p, std::string endpoint_id,
                                                  ListParams params);
  // New deliveries of the event to `endpoint_id`, or to every endpoint that wants its type.
  Task<Result<std::vector<Delivery>>> Redeliver(const Principal& p, std::string event_id,
                                                std::optional<std::string> endpoint_id,
                                                Actor actor);

  // The URL rules (https outside dev mode, no forbidden address literal); errors name `url`.
  Result<void> CheckUrl(std::string_view url) const;

 private:
  store::Store& store_;
  const crypto::KeyRing& keyring_;
  const Clock& clock_;
  net::OutboundPolicy policy_;
};

// The events of PRODUCT.md §3, as the merchant API lists them: stored JSON text, exactly what
// webhooks deliver.
class EventService {
 public:
  explicit EventService(store::Store& store) : store_(store) {}
  Task<Result<std::string>> Get(const Principal& p, std::string id);
  Task<Result<Page<std::string>>> List(const Principal& p, ListParams params,
                                       std::optional<std::string> type);

 private:
  store::Store& store_;
};

}  // namespace lp::webhooks
