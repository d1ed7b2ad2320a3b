// `liasonpay keys status|rotate|retire`: the key ring's versions and the secrets each protects.
#pragma once

#include <cstdint>

#include "app/config.hpp"

namespace lp::app {

int KeysStatus(const Config& config);
int KeysRotate(const Config& config);
int KeysRetire(const Config& config, uint32_t version);

}  // namespace lp::app
