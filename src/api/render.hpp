// JSON of the merchant API's resources (payments and refunds use payments/representation.hpp,
// which their stored answers and events share). Field order and escaping are part of the
// contract: replays return stored bytes, and clients diff them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lp/common/api_result.hpp"
#include "lp/merchants/api_keys.hpp"
#include "lp/merchants/connector_accounts.hpp"
#include "lp/payments/model.hpp"
#include "lp/webhooks/endpoints.hpp"

namespace lp::api {

std::string RenderApiKey(const merchants::ApiKey& k, int64_t now_us);
std::string RenderNewKey(const merchants::NewKey& k, int64_t now_us);
std::string RenderApiKeys(const Page<merchants::ApiKey>& page, int64_t now_us);

std::string RenderAccount(const merchants::ConnectorAccount& a);
std::string RenderAccounts(const Page<merchants::ConnectorAccount>& page);

std::string RenderEndpoint(const webhooks::Endpoint& e);
std::string RenderEndpointWithSecret(const webhooks::EndpointWithSecret& e);
std::string RenderEndpoints(const Page<webhooks::Endpoint>& page);
std::string RenderDeliveries(const std::vector<webhooks::Delivery>& deliveries,
                             std::string_view url);

std::string RenderDeliveryPage(const Page<webhooks::Delivery>& page, std::string_view url);

std::string RenderPayments(const Page<payments::Payment>& page);
std::string RenderRefunds(const Page<payments::Refund>& page);
// Events are stored as JSON text.
std::string RenderEvents(const Page<std::string>& page);

// A rendered body as a caller without pii:read sees it (docs/dashboard-api.md §2 "Masking"): the
// same shape, at any depth `description` (when not null) and every `metadata` value become
// "•••", `email` keeps its first character and domain, `source_ip` and `last_used_ip` become
// null. Linear in the body's size; a body that is not JSON is returned unchanged.
std::string MaskPersonalData(std::string_view body);

// {"id", "object", "deleted": true}
std::string RenderDeleted(std::string_view id, std::string_view object);

}  // namespace lp::api
